"""The slip's download as a PDF signed by the office's seal, over HTTP: on the dossier's page
(GET /phieu-kiem-soat/<code>) and the citizen's lookup answer (POST /tra-cuu/phieu-kiem-soat with
the code and the receipt secret), each a PDF pyHanko's validator finds intact and trusted under
the test hierarchy's root, carrying the dossier's code and the QR code of its verification page on
the server's public address (LIENTHONG_PUBLIC_URL, whatever Host the request names; a server with
a seal and no such address refuses to start); offered only when the server has a seal
(LIENTHONG_SEAL_*), which the page says otherwise, and the routes answer 404; a seal the server
cannot use is a 503 whose reason is in the server's log only; a wrong secret is the lookup's own
refusal; a seal on a PKCS#11 token (SoftHSM2) signs for the server too.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pkcs11
import pytest
from pkcs11.util.x509 import decode_x509_certificate

from api.settings import SealSettings, Settings, SettingsError
from tests.apiworld import (
    APPLICANT,
    COMMUNE_OFFICER,
    DOCUMENT,
    PROVINCE,
    RECEIVED_BODY,
    Api,
    assert_problem,
    code_today,
    open_api,
    settings_for,
)
from tests.pki_token import issue_for_public_key
from tests.seal_pki import (
    OFFICE,
    PUBLIC_URL,
    SealFiles,
    qr_matches,
    seal_files,
    sub_filter,
    text_of,
    validated,
)
from tests.softhsm import SoftHSM
from tests.websession import SAME_SITE, sign_in

LINK = re.compile(r'<a href="(/phieu-kiem-soat/[^"]+)" download>')


@dataclass
class Server:
    api: Api
    code: str
    secret: str
    seal: SealFiles


def receive_and_hand_over(api: Api, number: int) -> tuple[str, str]:
    """A dossier received at the commune and handed over to the province; its code and secret."""
    code = code_today(api.services, number)
    officer = api.client("officer")
    key = api.key(COMMUNE_OFFICER)
    receipt = officer.record(key, "dossier.received", code, RECEIVED_BODY, applicant=APPLICANT)
    api.clock.advance(3600)
    officer.record(
        key,
        "handover.dispatched",
        code,
        {"to": PROVINCE, "purpose": "process", "documents": [DOCUMENT]},
    )
    api.services.projector.catch_up()
    return code, str(receipt["receipt_secret"])


@pytest.fixture(scope="module")
def sealed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    directory = tmp_path_factory.mktemp("web-slip-sealed")
    seal = seal_files(directory / "seal")
    url = f"sqlite:///{directory / 'ledger.db'}"
    with open_api(url, directory, seal=seal.settings(), public_url=PUBLIC_URL) as api:
        code, secret = receive_and_hand_over(api, 911)
        yield Server(api, code, secret, seal)


def dossier_page(server: Server, lang: str = "vi") -> str:
    api = server.api
    sign_in(api.http, api.token("inspector", office=PROVINCE), back=f"/ho-so/{server.code}")
    page = api.http.get(f"/ho-so/{server.code}?lang={lang}")
    assert page.status_code == 200, page.text
    return page.text


def assert_signed_slip(server: Server, pdf: bytes, text: str = "Mã hồ sơ") -> None:
    status = validated(pdf, server.seal.roots())
    assert (status.intact, status.trusted, status.bottom_line) == (True, True, True)
    assert sub_filter(pdf) == "/ETSI.CAdES.detached"
    assert status.signing_cert.dump() == server.seal.seal.der
    words = text_of(pdf)
    assert f"{text}: {server.code}" in words
    assert qr_matches(pdf, f"{PUBLIC_URL}/xac-minh/{server.code}")


def test_the_dossiers_page_offers_the_signed_pdf_and_it_validates(sealed: Server) -> None:
    html = dossier_page(sealed)
    assert "Tải phiếu PDF đóng dấu bằng chứng thư số" in html
    (link,) = LINK.findall(html)
    assert link == f"/phieu-kiem-soat/{sealed.code}?lang=vi"
    response = sealed.api.http.get(link)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == (
        f'attachment; filename="phieu-kiem-soat-{sealed.code}.pdf"'
    )
    assert response.content.startswith(b"%PDF-")
    assert_signed_slip(sealed, response.content)


def test_the_pdf_follows_the_pages_language(sealed: Server) -> None:
    html = dossier_page(sealed, "en")
    assert "Download the slip as a PDF sealed with a certificate" in html
    (link,) = LINK.findall(html)
    response = sealed.api.http.get(link)
    assert response.status_code == 200
    assert_signed_slip(sealed, response.content, "Dossier code")
    assert "PROCESS CONTROL SLIP" in text_of(response.content)


def test_the_citizen_downloads_the_signed_slip_with_the_code_and_secret(sealed: Server) -> None:
    http = sealed.api.http
    http.cookies.clear()  # the citizen: no session
    answer = http.post("/tra-cuu", data={"code": sealed.code, "secret": sealed.secret})
    assert answer.status_code == 200
    form = answer.text[answer.text.index('<form method="post" action="/tra-cuu/phieu-kiem-soat') :]
    form = form[: form.index("</form>")]
    assert f'name="code" value="{sealed.code}"' in form
    assert f'name="secret" value="{sealed.secret}"' in form
    assert "Tải phiếu PDF đóng dấu bằng chứng thư số" in form
    response = http.post(
        "/tra-cuu/phieu-kiem-soat",
        data={"code": sealed.code.lower(), "secret": sealed.secret},
        headers=SAME_SITE,
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert_signed_slip(sealed, response.content)


def test_a_wrong_secret_gets_the_lookups_refusal_and_no_pdf(sealed: Server) -> None:
    http = sealed.api.http
    http.cookies.clear()
    response = http.post(
        "/tra-cuu/phieu-kiem-soat", data={"code": sealed.code, "secret": "SAI"}, headers=SAME_SITE
    )
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "%PDF" not in response.text
    missing = http.post("/tra-cuu/phieu-kiem-soat", data={"code": sealed.code}, headers=SAME_SITE)
    assert missing.status_code == 422
    assert missing.headers["content-type"].startswith("text/html")


def test_a_download_from_another_site_is_refused(sealed: Server) -> None:
    http = sealed.api.http
    http.cookies.clear()
    response = http.post(
        "/tra-cuu/phieu-kiem-soat",
        data={"code": sealed.code, "secret": sealed.secret},
        headers={"Origin": "https://elsewhere.example"},
    )
    assert response.status_code == 403
    assert response.headers["content-type"] != "application/pdf"


def test_the_dossiers_pdf_needs_a_caller_who_may_read_it(sealed: Server) -> None:
    http = sealed.api.http
    http.cookies.clear()
    unsigned = http.get(f"/phieu-kiem-soat/{sealed.code}", follow_redirects=False)
    assert unsigned.status_code == 303
    assert unsigned.headers["location"].startswith("/dang-nhap")
    # an inspector of a commune the dossier never passed through reads nothing of it
    outsider = sealed.api.token("inspector", office="29269")
    sign_in(http, outsider, back="/giam-sat")
    assert_problem(http.get(f"/phieu-kiem-soat/{sealed.code}"), 404, "not-found")
    sign_in(http, sealed.api.token("registrar"), back="/giam-sat")
    assert_problem(http.get("/phieu-kiem-soat/NO-SUCH-CODE"), 404, "not-found")


# --- a server without a seal, or with one it cannot use -----------------------------------------


def test_without_a_seal_the_page_says_so_and_the_routes_answer_404(tmp_path: Path) -> None:
    with open_api(f"sqlite:///{tmp_path / 'ledger.db'}", tmp_path, public_url=PUBLIC_URL) as api:
        code, secret = receive_and_hand_over(api, 912)
        server = Server(api, code, secret, seal_files(tmp_path / "seal"))
        html = dossier_page(server)
        assert "chưa được cấu hình chứng thư số của cơ quan" in html
        assert "/phieu-kiem-soat/" not in html
        assert "This server has no office certificate (seal) configured" in dossier_page(
            server, "en"
        )
        problem = assert_problem(api.http.get(f"/phieu-kiem-soat/{code}"), 404, "not-found")
        assert "seal" in problem["detail"]
        api.http.cookies.clear()
        answer = api.http.post("/tra-cuu", data={"code": code, "secret": secret})
        assert "chưa được cấu hình chứng thư số của cơ quan" in answer.text
        assert 'action="/tra-cuu/phieu-kiem-soat' not in answer.text
        refused = api.http.post(
            "/tra-cuu/phieu-kiem-soat", data={"code": code, "secret": secret}, headers=SAME_SITE
        )
        assert_problem(refused, 404, "not-found")


def test_a_seal_the_server_cannot_use_answers_503(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    seal = seal_files(tmp_path / "seal")
    wrong = seal.settings(password="sai")  # noqa: S106 — a wrong passphrase
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    with open_api(url, tmp_path, seal=wrong, public_url=PUBLIC_URL) as api:
        code, secret = receive_and_hand_over(api, 913)
        server = Server(api, code, secret, seal)
        (link,) = LINK.findall(dossier_page(server))  # configured: offered
        with caplog.at_level(logging.ERROR, logger="lienthong.api"):
            response = api.http.get(link)
        problem = assert_problem(response, 503, "unavailable")
        # the reason goes to the server's log only: not the seal's file, nor what it is
        assert str(seal.p12) not in response.text
        assert seal.p12.name not in response.text
        assert "PKCS#12" not in response.text
        assert "log" in problem["detail"]
        logged = [r.getMessage() for r in caplog.records if r.name == "lienthong.api"]
        assert any(
            code in message and str(seal.p12) in message and "PKCS#12" in message
            for message in logged
        ), logged


# --- the QR code's address -----------------------------------------------------------------------


def test_the_qr_code_opens_the_public_address_whatever_host_the_request_names(
    sealed: Server,
) -> None:
    """The sealed slip's QR code and address are LIENTHONG_PUBLIC_URL's, never the request's Host:
    a caller cannot have the office's seal sign a slip that sends its reader elsewhere."""
    (link,) = LINK.findall(dossier_page(sealed))
    elsewhere = "https://elsewhere.example"
    response = sealed.api.http.get(link, headers={"Host": "elsewhere.example"})
    assert response.status_code == 200, response.text
    assert_signed_slip(sealed, response.content)
    words = text_of(response.content).replace("\n", "")
    assert f"{PUBLIC_URL}/xac-minh/{sealed.code}" in words
    assert "elsewhere.example" not in words
    assert not qr_matches(response.content, f"{elsewhere}/xac-minh/{sealed.code}")
    assert not qr_matches(response.content, f"http://elsewhere.example/xac-minh/{sealed.code}")


def test_a_server_with_a_seal_and_no_public_address_refuses_to_start(tmp_path: Path) -> None:
    seal = seal_files(tmp_path / "seal")
    environment = {
        "LIENTHONG_DATABASE_URL": f"sqlite:///{tmp_path / 'ledger.db'}",
        "LIENTHONG_DATA_KEY": str(tmp_path / "data.key"),
        "LIENTHONG_LOG_KEY": str(tmp_path / "log.key"),
    }
    kinds = {
        "LIENTHONG_SEAL_FILE": {"LIENTHONG_SEAL_FILE": str(seal.p12)},
        "LIENTHONG_SEAL_KEY": {
            "LIENTHONG_SEAL_KEY": str(seal.key),
            "LIENTHONG_SEAL_CERT": str(seal.cert),
        },
        "LIENTHONG_SEAL_MODULE": {
            "LIENTHONG_SEAL_MODULE": "/usr/lib/softhsm/libsofthsm2.so",
            "LIENTHONG_SEAL_TOKEN_LABEL": "con-dau",
            "LIENTHONG_SEAL_KEY_LABEL": "seal",
        },
    }
    for name, variables in kinds.items():
        with pytest.raises(SettingsError) as refused:
            Settings.from_env({**environment, **variables})
        assert name in str(refused.value)
        assert "LIENTHONG_PUBLIC_URL" in str(refused.value)
        with pytest.raises(SettingsError, match=r"LIENTHONG_PUBLIC_URL.*'lienthong\.example\.vn'"):
            Settings.from_env(
                {**environment, **variables, "LIENTHONG_PUBLIC_URL": "lienthong.example.vn"}
            )
        given = Settings.from_env({**environment, **variables, "LIENTHONG_PUBLIC_URL": PUBLIC_URL})
        assert given.public_url == PUBLIC_URL
    # without a seal the address may still come from the request (receipts, links)
    assert Settings.from_env(environment).public_url == ""
    # and the app is refused the same way when its settings are made in code
    with pytest.raises(SettingsError, match=r"LIENTHONG_SEAL_FILE.*LIENTHONG_PUBLIC_URL"):
        settings_for(f"sqlite:///{tmp_path / 'ledger.db'}", tmp_path, seal=seal.settings())


# --- a seal on a PKCS#11 token -------------------------------------------------------------------


def test_a_seal_on_a_token_signs_for_the_server(tmp_path: Path) -> None:
    seal = seal_files(tmp_path / "seal")
    hsm = SoftHSM.create(tmp_path / "hsm")
    soft = hsm.token("con-dau-may-chu")
    spki = soft.generate_rsa("seal")
    issued = issue_for_public_key(
        seal.hierarchy, "seal-server", office=OFFICE, spki=spki, common=OFFICE
    )
    with soft.session() as session:
        session.create_object(
            {
                **decode_x509_certificate(issued.der),
                pkcs11.Attribute.TOKEN: True,
                pkcs11.Attribute.LABEL: "seal",
                pkcs11.Attribute.ID: b"seal",
            }
        )
    on_token = SealSettings(
        pkcs11=hsm.module,
        token_label="con-dau-may-chu",  # noqa: S106 — a label, not a secret
        key_label="seal",
        chain=(str(seal.ca),),
        pin=soft.pin,
    )
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    with open_api(url, tmp_path, seal=on_token, public_url=PUBLIC_URL) as api:
        code, secret = receive_and_hand_over(api, 914)
        server = Server(api, code, secret, seal)
        (link,) = LINK.findall(dossier_page(server))
        first, second = api.http.get(link), api.http.get(link)  # a session of its own each time
        # and downloads at once take the token in turn (it logs one session in at a time)
        with ThreadPoolExecutor(4) as pool:
            together = list(pool.map(lambda _: api.http.get(link), range(4)))
        for response in (first, second, *together):
            assert response.status_code == 200, response.text
            status = validated(response.content, seal.roots())
            assert status.bottom_line
            assert status.signing_cert.dump() == issued.der
