#!/usr/bin/env python
"""Screenshots of a running Huike for the README, taken with Debian's Chromium.

    .venv/bin/python scripts/screenshots.py --base-url http://127.0.0.1:8765 --out docs/images

Signs in as the administrator (password from --password, HUIKE_ADMIN_PASSWORD or
var/admin-password) and saves login.png, home-zh-hans.png, users.png and api-docs.png at
1280x800. It switches the signed-in user's language to Chinese and then English, and finally
puts back the language their profile had before. Point it at a demo instance, not a real one.

Uses the Python Playwright installed in .venv but never its downloaded browsers
(no ``playwright install``): it launches the system Chromium.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 800}


def default_password() -> str:
    given = os.environ.get("HUIKE_ADMIN_PASSWORD")
    if given:
        return given
    var_dir = Path(os.environ.get("HUIKE_VAR_DIR", ROOT / "var"))
    path = var_dir / "admin-password"
    return path.read_text(encoding="utf-8").strip() if path.exists() else ""


def switch_language(page: Page, language: str) -> None:
    """Pick a language in the page shell's select; the form submits itself and reloads."""
    with page.expect_navigation():
        page.locator("#language-select").select_option(language)
    page.wait_for_load_state("networkidle")


def profile_language(page: Page, base: str, language: str | None = None) -> str:
    """Read the language saved on the profile page, or save ``language`` there."""
    page.goto(base + "/accounts/profile/")
    select = page.locator("#id_language")
    if language is not None:
        select.select_option(language)
        with page.expect_navigation():
            page.locator("form:has(#id_language) button[type=submit]").click()
    return select.input_value() if language is None else language


def take(page: Page, out: Path, name: str) -> None:
    path = out / name
    page.screenshot(path=str(path), animations="disabled", caret="hide")
    print(f"{path} ({path.stat().st_size // 1024} KB)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000", help="where Huike runs")
    parser.add_argument("--out", default=str(ROOT / "docs" / "images"), help="output folder")
    parser.add_argument("--username", default="admin")
    parser.add_argument("--password", default=None, help="default: the administrator's")
    parser.add_argument(
        "--chromium",
        default=shutil.which("chromium") or shutil.which("chromium-browser") or "",
        help="the Chromium executable (default: chromium on PATH)",
    )
    options = parser.parse_args()
    base = options.base_url.rstrip("/")
    password = options.password if options.password is not None else default_password()
    if not options.chromium:
        print("Chromium is missing: apt-get install chromium", file=sys.stderr)
        return 2
    if not password:
        print("No password: pass --password or set HUIKE_ADMIN_PASSWORD", file=sys.stderr)
        return 2
    out = Path(options.out)
    out.mkdir(parents=True, exist_ok=True)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=options.chromium, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=VIEWPORT, locale="en-US")
        page = context.new_page()

        page.goto(base + "/accounts/login/")
        page.wait_for_load_state("networkidle")
        take(page, out, "login.png")

        page.locator("input[name=username]").fill(options.username)
        page.locator("input[name=password]").fill(password)
        with page.expect_navigation():
            page.locator("#sign-in").click()
        if "/accounts/login/" in page.url:
            print("Sign-in failed: check the user name and password", file=sys.stderr)
            browser.close()
            return 1

        original_language = profile_language(page, base)
        switch_language(page, "zh-hans")
        page.goto(base + "/")
        page.wait_for_load_state("networkidle")
        take(page, out, "home-zh-hans.png")

        switch_language(page, "en")
        page.goto(base + "/accounts/users/")
        page.wait_for_load_state("networkidle")
        take(page, out, "users.png")

        page.goto(base + "/api/v1/docs/")
        page.locator(".swagger-ui .opblock").first.wait_for(timeout=30_000)
        page.wait_for_load_state("networkidle")
        take(page, out, "api-docs.png")

        profile_language(page, base, original_language)

        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
