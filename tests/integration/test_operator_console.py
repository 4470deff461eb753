"""The operator console in real headless Chromium, against the assistant `make run` started.

An operator logs in, finds a message the assistant misunderstood, annotates
it, retrains, compares the new model with the current one on the held-out
set, deploys it, and the same message is then understood over the REST
channel. The console works on a copy of the assistant's data and models
(``ASSISTANT_DIR`` / ``MODELS_DIR`` set by the ``assistant`` fixture), never
on the project's own. Every page is audited with axe-core (WCAG 2.2 AA), and
nothing of the console is reachable without logging in.
"""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
from typing import Iterator
from urllib.parse import urlencode

import pytest

from tests.browser.axe import audit, describe
from tests.browser.chromium import Chromium
from tests.conftest import AUTH_TOKEN, PROJECT_DIR, RunningAssistant

pytestmark = pytest.mark.server

#: A request the assistant does not understand yet: it should go to a person.
MISUNDERSTOOD = "帮我叫个管事的来"
OPERATOR, PASSWORD = "wang.li", "correct horse battery staple"
ANNOTATE_PAGE_READY = ("location.pathname.startsWith('/operator/annotate/') "
                       "&& document.readyState === 'complete' && !!document.getElementById('field-intent')")
PAGES = ("/operator/", "/operator/review", "/operator/review?queue=1", "/operator/annotations",
         "/operator/models", "/operator/log", "/operator/review.csv", "/operator/training.json")


def _operator_cli(assistant: RunningAssistant, *args: str,
                  stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATA_DIR": str(assistant.data_dir), "ASSISTANT_DIR": str(assistant.assistant_dir),
           "MODELS_DIR": str(assistant.models_dir), "RASA_PORT": str(assistant.rasa_port),
           "RASA_AUTH_TOKEN": AUTH_TOKEN}
    return subprocess.run([sys.executable, "-m", "bot", "operator", *args], cwd=PROJECT_DIR, env=env,
                          input=stdin, capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def account(assistant: RunningAssistant) -> str:
    """An operator account, made on the command line."""
    done = _operator_cli(assistant, "add-account", OPERATOR, stdin=PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    return OPERATOR


def _request(assistant: RunningAssistant, method: str, path: str, body: str = "",
             cookie: str = "") -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", assistant.web_port, timeout=30)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if cookie:
        headers["Cookie"] = cookie
    connection.request(method, path, body=body.encode("utf-8"), headers=headers)
    response = connection.getresponse()
    response.read()
    return response


def _log_in(browser: Chromium, assistant: RunningAssistant, password: str = PASSWORD) -> None:
    browser.open(f"{assistant.web_url}/operator/")
    browser.wait_for("location.pathname === '/operator/login' && !!document.getElementById('field-password')")
    browser.type_text("#field-name", OPERATOR)
    browser.type_text("#field-password", password)
    browser.click("form.login button[type=submit]")


@pytest.fixture()
def console(assistant: RunningAssistant, account: str) -> Iterator[Chromium]:
    """A browser logged in to the console."""
    with Chromium(window=(1400, 1000)) as browser:
        _log_in(browser, assistant)
        browser.wait_for("location.pathname === '/operator/' && !!document.querySelector('nav.top-nav')")
        try:
            yield browser
        except BaseException:
            print("\n".join(browser.console_messages()))
            raise


def test_nothing_of_the_console_is_reachable_without_logging_in(assistant: RunningAssistant,
                                                                account: str) -> None:
    for path in PAGES:
        response = _request(assistant, "GET", path)
        assert response.status == 303 and response.headers["Location"].startswith("/operator/login"), path
    for path in ("/operator/training", "/operator/annotations", "/operator/models/x.tar.gz/deploy",
                 "/operator/models/x.tar.gz/rollback", "/operator/annotations/1/undo", "/operator/logout"):
        response = _request(assistant, "POST", path, "csrf=x")
        assert response.status == 303 and "/operator/login" in response.headers["Location"], path
    bad = _request(assistant, "POST", "/operator/login", urlencode({"name": OPERATOR, "password": "wrong"}))
    assert bad.status == 401
    good = _request(assistant, "POST", "/operator/login", urlencode({"name": OPERATOR, "password": PASSWORD}))
    assert good.status == 303
    cookie = good.headers["Set-Cookie"].split(";")[0]
    assert "HttpOnly" in good.headers["Set-Cookie"] and "SameSite=strict" in good.headers["Set-Cookie"]
    assert _request(assistant, "GET", "/operator/models", cookie=cookie).status == 200
    forged = _request(assistant, "POST", "/operator/training", "csrf=forged", cookie=cookie)
    assert forged.status == 403, "a change without the page's CSRF token must be refused"


def test_every_console_page_passes_the_accessibility_audit(console: Chromium,
                                                           assistant: RunningAssistant) -> None:
    assistant.say("citizen-audit", MISUNDERSTOOD)
    for path in ("/operator/", "/operator/review", "/operator/review?queue=1", "/operator/annotations",
                 "/operator/models", "/operator/log"):
        console.open(assistant.web_url + path)
        console.wait_for("document.readyState === 'complete' && !!document.querySelector('main h1')")
        violations = audit(console)
        assert violations == [], f"{path}: {describe(violations)}"
    console.open(assistant.web_url + "/operator/review?queue=1")
    console.click("td a[href^='/operator/annotate/']")
    console.wait_for(ANNOTATE_PAGE_READY)
    violations = audit(console)
    assert violations == [], describe(violations)
    with Chromium() as anonymous:
        anonymous.open(assistant.web_url + "/operator/login")
        violations = audit(anonymous)
        assert violations == [], describe(violations)


def test_an_operator_fixes_a_misunderstood_message_and_the_assistant_then_understands_it(
        console: Chromium, assistant: RunningAssistant) -> None:
    assert assistant.parse(MISUNDERSTOOD)["intent"]["name"] != "human_handoff"
    assistant.say("citizen-needs-a-person", MISUNDERSTOOD)

    # Find it among the messages handled badly, and annotate it.
    console.open(assistant.web_url + "/operator/review?queue=1")
    link = f"td a[aria-label='标注 Annotate: {MISUNDERSTOOD}']"
    console.wait_for(f"!!document.querySelector({link!r})")
    console.click(link)
    console.wait_for(ANNOTATE_PAGE_READY)
    console.evaluate("document.getElementById('field-intent').value = 'human_handoff'")
    console.evaluate("document.getElementById('field-service').value = ''")
    console.evaluate("document.getElementById('field-service_words').value = ''")
    console.click("form.annotate button[type=submit]")
    console.wait_for("location.pathname === '/operator/annotations' && document.readyState === 'complete'",
                     timeout=180)
    assert MISUNDERSTOOD in console.evaluate("document.querySelector('table').textContent")

    # Retrain in the background while the current model keeps serving.
    console.open(assistant.web_url + "/operator/models")
    console.wait_for("!!document.getElementById('training-state')")
    models_before = console.evaluate("document.querySelectorAll('tbody tr').length")
    console.click("form[action='/operator/training'] button")
    console.wait_for("document.getElementById('training-state').dataset.state === 'running'")
    assert assistant.say("citizen-during-training", "你好"), "the assistant stopped answering while training"
    console.wait_for("document.getElementById('training-state')?.dataset.state === 'succeeded'", timeout=1500,
                     interval=2)
    assert console.evaluate("document.querySelectorAll('tbody tr').length") == models_before + 1

    # Compare the new model (the newest, listed first) with the current one, then deploy it.
    console.click("tbody tr:first-child a[href$='/compare']")
    console.wait_for("!!document.getElementById('verdict')", timeout=900, interval=2)
    assert "human_handoff" in console.evaluate("document.querySelector('main').textContent")
    console.wait_for("document.querySelector('img.confusion').complete "
                     "&& document.querySelector('img.confusion').naturalWidth > 0", timeout=60)
    console.click("form.deploy button[type=submit]")
    console.wait_for("location.pathname === '/operator/models' && document.readyState === 'complete'",
                     timeout=300)

    # The same message is now understood over the REST channel.
    assert assistant.parse(MISUNDERSTOOD)["intent"]["name"] == "human_handoff"
    replies = " ".join(r.get("text", "") for r in assistant.say("citizen-after-deploy", MISUNDERSTOOD))
    assert "工作人员" in replies or "人工" in replies, replies
    log = _operator_cli(assistant, "log").stdout
    assert "annotate" in log and "deploy" in log and OPERATOR in log
