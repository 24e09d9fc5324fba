def test_coordinator_and_admin_can_sign_in(coordinator_client, admin_client):
    assert coordinator_client.get("/coord/waitlist").status_code == 200
    assert admin_client.get("/coord/admin/programs").status_code == 200
    assert coordinator_client.get("/coord/admin/programs").status_code == 403
