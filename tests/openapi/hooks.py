# Schemathesis hooks for Ferry's OpenAPI description (loaded through SCHEMATHESIS_HOOKS
# by `ops::the_openapi_description_holds_against_schemathesis`).
#
# tus bodies are `application/offset+octet-stream`: raw bytes, serialized exactly as
# `application/octet-stream` is.
import schemathesis

schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")
