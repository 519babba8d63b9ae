"""multipart/form-data bodies built by hand.

Werkzeug's test client spools bodies over 500 KB to a temporary file it never closes (a
ResourceWarning, an error under filterwarnings=error), and it cannot send a file name that is
not UTF-8; building the bytes ourselves avoids both.
"""

from __future__ import annotations

BOUNDARY = "altavoz-test-boundary"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"


def multipart(fields: dict[str, str], files: list[tuple[str, bytes | str, bytes]]) -> bytes:
    """`files` holds (field name, file name, content); a bytes name is sent verbatim as the
    whole parameter (e.g. b"filename*=UTF-8''voz-%FF.wav") to test what clients may send."""
    body = bytearray()
    for name, value in fields.items():
        body += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        body += value.encode() + b"\r\n"
    for field, filename, content in files:
        parameter = f'filename="{filename}"'.encode() if isinstance(filename, str) else filename
        body += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{field}"; '.encode()
        body += parameter + b"\r\nContent-Type: application/octet-stream\r\n\r\n"
        body += content + b"\r\n"
    body += f"--{BOUNDARY}--\r\n".encode()
    return bytes(body)
