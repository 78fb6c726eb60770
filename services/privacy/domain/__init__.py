"""The privacy service's domain: erasure requests and the retention rules that hold them."""
