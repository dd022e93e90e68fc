"""Staff members and customers: upsert, read, list, validation."""
import pytest

from conftest import assert_error, parse_ts

STAFF_FIELDS = ("id", "name", "email", "active", "role", "has_password", "last_login_at", "invite_expires_at", "created_at", "updated_at")
CUSTOMER_FIELDS = ["id", "name", "email", "owner_id", "created_at", "updated_at"]


def test_put_staff_creates_with_201_then_updates_with_200(server):
    r = server.put("/ops/staff/sta_p_anna", {"name": "Anna", "email": "anna@example.com", "active": True})
    assert r.status == 201, r
    a = r.json()
    assert sorted(a) == sorted(STAFF_FIELDS)
    assert (a["id"], a["name"], a["email"], a["active"]) == ("sta_p_anna", "Anna", "anna@example.com", True)
    r = server.put("/ops/staff/sta_p_anna", {"name": "Anna B", "email": None, "active": False})
    assert r.status == 200, r
    b = r.json()
    assert (b["name"], b["email"], b["active"]) == ("Anna B", None, False)
    assert b["created_at"] == a["created_at"]
    assert parse_ts(b["updated_at"]) >= parse_ts(a["updated_at"])
    assert server.get("/ops/staff/sta_p_anna").json() == b


def test_staff_is_active_unless_told_otherwise(server):
    r = server.put("/ops/staff/sta_p_default", {"name": "Default"})
    assert r.status == 201 and r.json()["active"] is True and r.json()["email"] is None


@pytest.mark.parametrize("sid", ["sta_a", "sta_" + "x" * 64, "sta_A-b_9"])
def test_staff_ids_of_the_documented_shape_are_accepted(server, sid):
    assert server.put(f"/ops/staff/{sid}", {"name": "Ok"}).status in (200, 201)
    assert server.get(f"/ops/staff/{sid}").json()["id"] == sid


@pytest.mark.parametrize("sid", ["anna", "sta_", "sta_" + "x" * 65, "sta_bad!", "sta_bad.dot", "STA_upper",
                                 "cus_wrongprefix"])
def test_put_staff_with_a_bad_id_answers_422_naming_id(server, sid):
    assert_error(server.put(f"/ops/staff/{sid}", {"name": "A"}), 422, "validation_failed", "id")
    assert server.get(f"/ops/staff/{sid}").status == 404


def test_put_staff_with_a_very_long_id_answers_422_naming_id(server):
    sid = "sta_" + "x" * 300
    assert_error(server.put(f"/ops/staff/{sid}", {"name": "A"}), 422, "validation_failed", "id")


@pytest.mark.parametrize("body,field", [
    ({}, "name"),
    ({"name": ""}, "name"),
    ({"name": "   "}, "name"),
    ({"name": None}, "name"),
    ({"name": 5}, "name"),
    ({"name": "x" * 201}, "name"),
    ({"name": "A", "email": "not-an-email"}, "email"),
    ({"name": "A", "email": "a@b@c"}, "email"),
    ({"name": "A", "email": 7}, "email"),
    ({"name": "A", "active": "yes"}, "active"),
    ({"name": "A", "active": 1}, "active"),
    ({"name": "A", "role": "boss"}, "role"),
])
def test_invalid_staff_fields_answer_422_naming_the_field(server, body, field):
    assert_error(server.put("/ops/staff/sta_p_invalid", body), 422, "validation_failed", field)
    assert server.get("/ops/staff/sta_p_invalid").status == 404


def test_get_unknown_staff_answers_404(server):
    assert_error(server.get("/ops/staff/sta_p_nobody"), 404, "not_found")
    assert_error(server.get("/ops/staff/nobody"), 404, "not_found")


def test_put_customer_creates_then_updates(server):
    server.staff("sta_p_owner")
    r = server.put("/ops/customers/cus_p_1", {"name": "Customer", "email": "c@example.com", "owner_id": "sta_p_owner"})
    assert r.status == 201, r
    c = r.json()
    assert sorted(c) == sorted(CUSTOMER_FIELDS)
    assert (c["id"], c["name"], c["email"], c["owner_id"]) == ("cus_p_1", "Customer", "c@example.com", "sta_p_owner")
    r = server.put("/ops/customers/cus_p_1", {"name": "Customer 2", "owner_id": None})
    assert r.status == 200 and r.json()["owner_id"] is None and r.json()["name"] == "Customer 2"
    assert r.json()["created_at"] == c["created_at"]
    assert server.get("/ops/customers/cus_p_1").json() == r.json()


def test_customer_owner_must_be_an_existing_staff_member(server):
    assert_error(server.put("/ops/customers/cus_p_2", {"name": "C", "owner_id": "sta_p_nobody"}),
                 422, "unknown_staff", "owner_id")
    assert_error(server.put("/ops/customers/cus_p_2", {"name": "C", "owner_id": "nobody"}),
                 422, "unknown_staff", "owner_id")
    assert server.get("/ops/customers/cus_p_2").status == 404


@pytest.mark.parametrize("cid,body,field", [
    ("sta_wrong", {"name": "C"}, "id"),
    ("cus_", {"name": "C"}, "id"),
    ("cus_bad!", {"name": "C"}, "id"),
    ("cus_p_ok", {}, "name"),
    ("cus_p_ok", {"name": "C", "owner_id": 3}, "owner_id"),
    ("cus_p_ok", {"name": "C", "email": "nope"}, "email"),
    ("cus_p_ok", {"name": "C", "owner": "sta_x"}, "owner"),
])
def test_invalid_customers_answer_422_naming_the_field(server, cid, body, field):
    assert_error(server.put(f"/ops/customers/{cid}", body), 422, "validation_failed", field)
    assert server.get(f"/ops/customers/{cid}").status == 404


def test_get_unknown_customer_answers_404(server):
    assert_error(server.get("/ops/customers/cus_p_nobody"), 404, "not_found")


@pytest.mark.parametrize("kind,prefix", [("staff", "sta_list_"), ("customers", "cus_list_")])
def test_lists_walk_every_item_once_in_id_order(server, kind, prefix):
    for i in range(12):
        if kind == "staff":
            server.staff(f"{prefix}{i:02d}")
        else:
            server.customer(f"{prefix}{i:02d}")
    seen, cursor = [], None
    for _ in range(100):
        r = server.get(f"/ops/{kind}?limit=5" + (f"&cursor={cursor}" if cursor else ""))
        assert r.status == 200, r
        page = r.json()
        assert set(page) == {"data", "next_cursor"} and len(page["data"]) <= 5
        seen += [x["id"] for x in page["data"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert cursor is None
    assert seen == sorted(seen) and len(seen) == len(set(seen))
    assert [x for x in seen if x.startswith(prefix)] == [f"{prefix}{i:02d}" for i in range(12)]


@pytest.mark.parametrize("kind", ["staff", "customers"])
def test_list_default_limit_is_100(server, kind):
    for i in range(105):
        if kind == "staff":
            server.staff(f"sta_lim_{i:03d}")
        else:
            server.customer(f"cus_lim_{i:03d}")
    page = server.get(f"/ops/{kind}").json()
    assert len(page["data"]) == 100 and page["next_cursor"] is not None
    assert len(server.get(f"/ops/{kind}?limit=500").json()["data"]) >= 105


@pytest.mark.parametrize("kind", ["staff", "customers"])
@pytest.mark.parametrize("query,field", [("limit=0", "limit"), ("limit=501", "limit"), ("limit=abc", "limit"),
                                         ("limit=", "limit"), ("sort=name", "sort"), ("cursor=%21%21", "cursor")])
def test_bad_list_parameters_answer_422_naming_them(server, kind, query, field):
    assert_error(server.get(f"/ops/{kind}?{query}"), 422, "validation_failed", field)


def test_customers_by_ids_come_in_the_order_given_without_the_unknown(server):
    for cid, name in (("cus_ids_a", "Ayşe Yılmaz"), ("cus_ids_b", "Bora Demir"), ("cus_ids_c", "Cem Kaya")):
        server.customer(cid, name=name)
    r = server.get("/ops/customers?ids=cus_ids_c,cus_ids_nobody,cus_ids_a")
    assert r.status == 200, r
    assert [c["id"] for c in r.json()["data"]] == ["cus_ids_c", "cus_ids_a"] and r.json()["next_cursor"] is None
    assert r.json()["data"][1] == server.get("/ops/customers/cus_ids_a").json()
    r = server.get("/ops/customers?ids=cus_ids_a,cus_ids_b,cus_ids_c&q=ayse")
    assert [c["id"] for c in r.json()["data"]] == ["cus_ids_a"], r
    r = server.get("/ops/customers?ids=cus_ids_a,cus_ids_b,cus_ids_c&limit=2")
    assert [c["id"] for c in r.json()["data"]] == ["cus_ids_a", "cus_ids_b"], r
    many = ",".join(f"cus_ids_{i}" for i in range(101))
    for bad, field in ((many, "ids"), ("cus_ids_a,cus_ids_a", "ids"), ("cus_ids_a,,cus_ids_b", "ids"),
                       ("sta_x", "ids"), ("", "ids")):
        assert_error(server.get(f"/ops/customers?ids={bad}"), 422, "validation_failed", field)
    assert_error(server.get("/ops/customers?ids=cus_ids_a&cursor=cus_ids_a"), 422, "validation_failed", "cursor")
