"""``smtps://`` and ``smtp+starttls://`` check the server's certificate and host name (ASVS 12.3.2), against a
real loopback aiosmtpd with a self-signed certificate: untrusted, the send fails as a certificate error
recorded on the message (not sent); trusted (SSL_CERT_FILE), the same server gets the mail."""
from __future__ import annotations

import ssl
import subprocess

import pytest
from aiosmtpd.controller import Controller

from ledger.core.db import db
from ledger.outbox.models import Message
from ledger.outbox.services import notify_user, tls_context
from tests.outbox.test_smtp import Recorder, free_port, send


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[str, str]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = str(folder / "cert.pem"), str(folder / "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    return cert, key


@pytest.fixture(params=["smtps", "smtp+starttls"])
def tls_server(request, app, certificate):
    """A loopback SMTP server speaking TLS (implicit, or after STARTTLS) with the self-signed certificate."""
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(*certificate)
    port, handler = free_port(), Recorder()
    if request.param == "smtps":
        controller = Controller(handler, hostname="127.0.0.1", port=port, ssl_context=server_context)
    else:
        controller = Controller(handler, hostname="127.0.0.1", port=port, tls_context=server_context,
                                require_starttls=True)
    controller.start()
    app.config["LEDGER_SMTP_URL"] = f"{request.param}://127.0.0.1:{port}"
    app.config["LEDGER_MAIL_FROM"] = "ledger@example.org"
    yield handler
    controller.stop()


def _queue_one(f) -> int:
    w = f.world()
    message = notify_user(w.owner_a, "test", "【测试】证书", "正文")
    db.session.commit()
    return message.id


def test_tls_context_checks_certificate_and_host_name():
    context = tls_context()
    assert context.check_hostname is True and context.verify_mode == ssl.CERT_REQUIRED


def test_untrusted_certificate_fails_the_send(app, f, backend, tls_server):
    message_id = _queue_one(f)
    send(app)
    message = db.session.get(Message, message_id)
    assert message.status != "sent" and message.sent_at is None
    assert "CERTIFICATE_VERIFY_FAILED" in (message.last_error or ""), message.last_error
    assert tls_server.received == []


def test_trusted_certificate_delivers(app, f, backend, tls_server, certificate, monkeypatch):
    monkeypatch.setenv("SSL_CERT_FILE", certificate[0])
    message_id = _queue_one(f)
    send(app)
    message = db.session.get(Message, message_id)
    assert message.status == "sent", message.last_error
    assert len(tls_server.received) == 1
