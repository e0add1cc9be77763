"""A citizen's journey through a client generated from motcua's OpenAPI document.

    python3 e2e/openapi_client_journey.py BASE_URL CLIENT_DIR PASSWORD

CLIENT_DIR holds the package `motcua_client`, generated from the server's own
`/api/v1/openapi.json` by openapi-python-client (the test does it). Nothing here knows motcua's
code: only the generated functions and models, so when the document says something the server
does not do (a parameter in the wrong place, a body the server refuses, an answer of another
shape), a step fails. Prints one line per step; exits non-zero at the first failure.
"""

import io
import sys
import uuid

base, client_dir, password = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, client_dir)

from motcua_client import AuthenticatedClient, Client  # noqa: E402
from motcua_client.api.accounts import accounts_login, accounts_me  # noqa: E402
from motcua_client.api.catalog import catalog_list_procedures  # noqa: E402
from motcua_client.api.dossiers import (  # noqa: E402
    dossiers_attachments,
    dossiers_download,
    dossiers_list,
    dossiers_submit,
    dossiers_track,
)
from motcua_client.models import (  # noqa: E402
    ErrorBody,
    ErrorCode,
    LoginRequest,
    SubmitRequest,
    SubmitWithFiles,
)
from motcua_client.types import File  # noqa: E402


def step(name, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + name + (f": {detail}" if detail else ""), flush=True)
    if not ok:
        sys.exit(1)


anonymous = Client(base_url=base, raise_on_unexpected_status=True)

# 1. Search the catalogue without diacritics.
page = catalog_list_procedures.sync(client=anonymous, q="dang ky khai sinh", limit=10)
names = [p.name for p in page.items] if not isinstance(page, ErrorBody) else []
step("search without diacritics", any(n.startswith("Đăng ký khai sinh") for n in names), str(names[:3]))

# 2. Sign in.
login = accounts_login.sync(client=anonymous, body=LoginRequest(username="congdan", password=password))
step("sign in", not isinstance(login, ErrorBody) and bool(login.token), type(login).__name__)
citizen = AuthenticatedClient(base_url=base, token=login.token, raise_on_unexpected_status=True)
me = accounts_me.sync(client=citizen)
step("who am I", not isinstance(me, ErrorBody) and me.username == "congdan")

# 3. Submit a dossier with a file, by multipart, with an idempotency key.
pdf = b"%PDF-1.4\n% motcua generated-client journey\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
key = str(uuid.uuid4())


def submit():
    body = SubmitWithFiles(
        dossier=SubmitRequest(procedure="1.004873", org="000.00.37.H22"),
        file=File(payload=io.BytesIO(pdf), file_name="giay-xac-nhan.pdf", mime_type="application/pdf"),
    )
    return dossiers_submit.sync_detailed(client=citizen, body=body, idempotency_key=key)


first = submit()
step("submit with a file", first.status_code == 201 and first.parsed.code, f"{first.status_code} {first.content[:200]!r}")
code = str(first.parsed.code)
again = submit()
step("the same key again gives the same dossier", again.status_code == 200 and str(again.parsed.code) == code)

# 4. The file is there, byte for byte.
files = dossiers_attachments.sync(code, client=citizen)
step("the attachment is listed", len(files) == 1 and files[0].filename == "giay-xac-nhan.pdf" and files[0].size == len(pdf))
download = dossiers_download.sync_detailed(code, files[0].index, client=citizen)
step("the attachment downloads unchanged", download.status_code == 200 and download.content == pdf)

# 5. Follow it: in the citizen's own list, and by its code without signing in.
mine = dossiers_list.sync(client=citizen, limit=20)
step("in my dossiers", any(str(d.code) == code for d in mine.items))
tracked = dossiers_track.sync(code, client=anonymous)
step("tracked by code", not isinstance(tracked, ErrorBody) and str(tracked.code) == code and bool(tracked.status_label))

# 6. A refusal parses as the error body, its code one of the documented ones.
missing = dossiers_track.sync("KHONG-CO-MA-NAY", client=anonymous)
step(
    "an error is an ErrorBody with a documented code",
    isinstance(missing, ErrorBody) and isinstance(missing.error.code, ErrorCode),
    repr(missing),
)
print("journey done")
