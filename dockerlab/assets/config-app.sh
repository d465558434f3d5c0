#!/bin/sh
# config-app.sh: a tiny "service" that takes its whole configuration from
# environment variables, so one image can run in every environment.
set -eu
: "${APP_ENV:?APP_ENV must be set (dev, staging or prod)}"
echo "environment: $APP_ENV"
echo "log level:   ${LOG_LEVEL:-info}"
echo "database:    ${DATABASE_URL:-none}"
echo "feature x:   ${FEATURE_X:-off}"
if [ -n "${API_TOKEN:-}" ]; then
    echo "api token:   set (${#API_TOKEN} characters)"
else
    echo "api token:   not set"
fi
