#!/bin/sh
# Starts the app named by $SERVICE under uvicorn (the image's CMD).
set -eu

case "${SERVICE:-}" in
    "" | *[!a-z_]*)
        echo "coop-serve: SERVICE must name a service package (contracts, billing...) or 'embedded', not '${SERVICE:-}'" >&2
        exit 64
        ;;
    embedded) app="services.embedded:create_app" ;;
    *) app="services.${SERVICE}.app:create_app" ;;
esac

# --app-dir: import from the copied source tree, which holds the data files beside the code.
# Forwarded headers are trusted because only the gateway reaches the containers.
exec uvicorn "$app" --factory --app-dir /app \
    --host 0.0.0.0 --port "${COOP_PORT:-8000}" \
    --proxy-headers --forwarded-allow-ips "*"
