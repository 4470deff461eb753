"""Reading the console's form posts (``application/x-www-form-urlencoded``) safely."""

from __future__ import annotations

from urllib.parse import parse_qs

from fastapi import HTTPException, Request

#: The largest form body accepted.
MAX_FORM_BYTES = 64 * 1024


async def read_form(request: Request) -> dict[str, str]:
    """Return the posted fields (first value of each); 400/413/415 for anything else."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise HTTPException(415, "Send the form as application/x-www-form-urlencoded.")
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise HTTPException(413, "The form is too large.")
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except (UnicodeDecodeError, ValueError) as error:
        raise HTTPException(400, "The form could not be read.") from error
    return {key: values[0] for key, values in fields.items() if values}
