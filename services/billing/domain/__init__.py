"""The billing domain: pure deciders and rules."""
