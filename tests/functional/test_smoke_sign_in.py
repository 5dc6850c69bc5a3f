from tracker.roles import Role

from tests.helpers import sign_in


def test_coordinator_lands_on_worklist_after_sign_in(client, gen):
    user = gen.user(Role.COORDINATOR)
    response = sign_in(client, user)
    assert response.status_code == 302
    assert response.location == "/cases/"
    page = client.get("/cases/")
    assert "Worklist" in page.get_data(as_text=True)
