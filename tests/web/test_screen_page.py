"""The screening page (issue 14): who may use it, a whole screening from uploaded files, and
bad input answered with a 4xx and a message naming the uploaded file."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.screening_files import write_state
from tests.web.support import WebSetup, sign_in


def _files(paths: dict[str, Path], names: tuple[str, ...]) -> list[tuple[str, tuple[str, bytes]]]:
    return [("file", (f"{name}.csv", paths[name].read_bytes())) for name in names]


def test_admin_screens_uploaded_files(web: WebSetup, tmp_path: Path) -> None:
    paths = write_state(tmp_path, 120, effect=0.04)
    client = web.client()
    sign_in(client, "admin")
    page = client.get("/screening")
    assert page.status_code == 200 and 'id="screening-form"' in page.text
    response = client.post(
        "/screening",
        data={"group": "accessible~Edge", "party": "REP", "office": "president"},
        files=_files(paths, ("el190", "baseline", "equipment", "now")),
    )
    assert response.status_code == 200, response.text
    assert 'id="screening-verdict"' in response.text
    assert "survives" in response.text and "not proof" in response.text
    assert response.text.count("<tr><td>+ ") == 5
    assert "RLA ballot comparison (CLCA), risk 5%" in response.text
    assert "Wisconsin" in response.text
    assert "data:image/png;base64," in response.text


def test_only_the_administrator_may_screen(web: WebSetup) -> None:
    """Screening stores the uploaded files: observers write nothing, clerks see one county."""
    observer = web.client()
    sign_in(observer, "observer")
    assert observer.get("/screening").status_code == 403
    assert observer.post("/screening", files={"file": ("a.csv", b"x")}).status_code == 403
    clerk = web.client()
    sign_in(clerk, "adams-clerk")
    assert clerk.get("/screening").status_code == 403
    assert clerk.post("/screening", files={"file": ("a.csv", b"x")}).status_code == 403
    stranger = web.client()
    assert stranger.get("/screening").status_code in (303, 401)


def test_one_results_file_is_a_400_with_a_message(web: WebSetup, tmp_path: Path) -> None:
    paths = write_state(tmp_path, 20)
    client = web.client()
    sign_in(client, "admin")
    response = client.post("/screening", files=_files(paths, ("now", "equipment")))
    assert response.status_code == 400
    assert "give two results files" in response.text and "now.csv" in response.text


def test_bad_cell_names_the_uploaded_file_row_and_column(web: WebSetup, tmp_path: Path) -> None:
    paths = write_state(tmp_path, 20)
    lines = paths["el190"].read_text().splitlines()
    cells = lines[2].split(",")
    cells[6] = "lots"
    lines[2] = ",".join(cells)
    paths["el190"].write_text("\n".join(lines) + "\n")
    client = web.client()
    sign_in(client, "admin")
    response = client.post("/screening", files=_files(paths, ("now", "baseline", "el190")))
    assert response.status_code == 400
    assert "el190.csv, row 3, column &#39;Total Ballots&#39;" in response.text


def test_bad_group_rule_is_a_400(web: WebSetup, tmp_path: Path) -> None:
    paths = write_state(tmp_path, 20)
    client = web.client()
    sign_in(client, "admin")
    response = client.post(
        "/screening", data={"group": "nonsense"}, files=_files(paths, ("now", "baseline"))
    )
    assert response.status_code == 400 and "--group" in response.text


def test_without_the_csrf_token_nothing_is_read(web: WebSetup, tmp_path: Path) -> None:
    paths = write_state(tmp_path, 20)
    client = web.client()
    sign_in(client, "admin")
    client.headers.pop("X-CSRF-Token")
    response = client.post("/screening", files=_files(paths, ("now", "baseline")))
    assert response.status_code == 403


def test_the_administrators_navigation_links_the_screening_page(web: WebSetup) -> None:
    admin = web.client()
    sign_in(admin, "admin")
    assert 'href="/screening"' in admin.get("/account").text
    for user in ("observer", "adams-clerk"):
        other = web.client()
        sign_in(other, user)
        assert 'href="/screening"' not in other.get("/account").text


def test_simulated_polling_audits_and_the_cannot_decide_note(web: WebSetup, tmp_path: Path) -> None:
    """The form's polling trials reach the decision desk; a group in three of eight counties
    gets the permutation test's 'cannot decide' note on its rows."""
    paths = write_state(tmp_path, 120, effect=0.04)
    lines = paths["equipment"].read_text().splitlines()
    paths["equipment"].write_text(
        "\n".join(
            [lines[0]]
            + [
                line if line.startswith(("C00 ", "C01 ", "C02 ")) else line.replace("Edge", "X")
                for line in lines[1:]
            ]
        )
        + "\n"
    )
    client = web.client()
    sign_in(client, "admin")
    response = client.post(
        "/screening",
        data={"polling_trials": "30"},
        files=_files(paths, ("baseline", "equipment", "now")),
    )
    assert response.status_code == 200, response.text
    ladder = response.text.split('id="screening-ladder"')[1].split("</table>")[0]
    assert ladder.count("<strong>cannot decide</strong>: in effect only") == 3
    assert "whatever its p-value" in ladder
    assert response.text.count("(30 simulated audits)") == 2
    assert 'name="polling_trials"' in response.text and 'value="30"' in response.text


def test_bounded_polling_audits_say_so(web: WebSetup, tmp_path: Path) -> None:
    paths = write_state(tmp_path, 60)
    client = web.client()
    sign_in(client, "admin")
    response = client.post("/screening", files=_files(paths, ("baseline", "equipment", "now")))
    assert response.status_code == 200, response.text
    assert response.text.count("at most 10% (bound)") == 2


@pytest.mark.parametrize("value", ["201", "1_0", "+5", "9" * 300])
def test_bad_polling_trials_are_a_400(web: WebSetup, tmp_path: Path, value: str) -> None:
    paths = write_state(tmp_path, 20)
    client = web.client()
    sign_in(client, "admin")
    response = client.post(
        "/screening", data={"polling_trials": value}, files=_files(paths, ("now", "baseline"))
    )
    assert response.status_code == 400
    assert "simulated polling audits" in response.text and "from 0 to 200" in response.text
