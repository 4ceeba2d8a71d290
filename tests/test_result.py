"""The result dialect over real HTTP: Python-json text, the registration flow
linked by a cookie, avatar uploads, login and logout."""
from __future__ import annotations

import base64
import io
import json
import os

import aiohttp
import pytest

from facade.app import init_app
from facade.keys import CORE
from tests.conftest import outbox
from PIL import Image

from facade.core import images
from facade.images import redrawn
from tests.images import PHP, SVG, image, marked_jpeg, png_claiming, webp_bomb
from tests.test_express import DEFAULT_AVATAR

pytestmark = pytest.mark.every_backend

PHONE = "13800138000"
PASSWORD = "abcd1234"
JSON = "application/json"


async def expect(response, text: str) -> None:
    assert (response.status, response.headers["Content-Type"], await response.text()) == (200, JSON, text)


def upload_form(data: bytes, filename: str = "me.png", content_type: str = "image/png") -> aiohttp.FormData:
    form = aiohttp.FormData()
    form.add_field("img", io.BytesIO(data), filename=filename, content_type=content_type)
    return form


async def send_code(client, phone=PHONE):
    return await client.get("/register", params={"userId": phone})


async def verify(client, code: str):
    return await client.post("/register", data={"code_v": code, "code": code})


async def started(client, phone=PHONE) -> str:
    """Sends a code for ``phone``; returns it."""
    response = await send_code(client, phone)
    code = json.loads(await response.text())["message"]
    await expect(response, '{"result": "0000", "message": "%s"}' % code)
    return code


def stored(rows) -> list:
    """The avatars kept so far."""
    return [row["name"] for row in rows("SELECT name FROM files WHERE folder = 'avatars' ORDER BY created_at")]


@pytest.fixture
async def verified(client):
    """A client whose flow has verified PHONE: what /upload and completion need."""
    await expect(await verify(client, await started(client)), '{"result": "0000"}')
    return client


def complete(**fields):
    return {"register": "1", "password": PASSWORD, "gender": "1", "nickname": "小明", "userId": PHONE, **fields}


async def test_the_whole_registration_then_login_and_logout(client, rows, outbox_path):
    code = await started(client)
    assert outbox(outbox_path)[-1]["code"] == code and len(code) == 4
    wrong = "0000" if code != "0000" else "1111"
    await expect(await verify(client, wrong), '{"result": "0004"}')
    await expect(await client.post("/register", data={"code_v": wrong, "code": code}), '{"result": "0000"}')
    response = await client.post("/upload", data=upload_form(image("PNG")))
    path = json.loads(await response.text())["message"]
    await expect(response, '{"result": "0000", "message": "%s"}' % path)
    served = await client.get("/" + path)
    assert (served.status, served.headers["Content-Type"], await served.read()) == (200, "image/png", image("PNG"))
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    await expect(await client.post("/register", data=complete(headImage=path)), '{"result": "0000"}')
    [user] = rows("SELECT phone, nickname, gender, avatar FROM users")
    assert user == {"phone": PHONE, "nickname": "小明", "gender": 1, "avatar": path.rsplit("/", 1)[1]}
    assert rows("SELECT * FROM flows") == []
    response = await client.post("/log", data={"userId": PHONE, "password": PASSWORD, "expire_in": "3600"})
    token = json.loads(await response.text())["message"]
    await expect(response, '{"result": "0000", "message": "%s"}' % token)
    [session] = rows("SELECT expires_at - created_at AS lifetime FROM sessions")
    assert session["lifetime"] == 3600
    await expect(await client.delete("/log", params={"token": token}), '{"result": "0000"}')
    await expect(await client.delete("/log", params={"token": token}), '{"result": "0006"}')


async def test_without_the_verify_step_no_user_is_made(client, rows):
    await started(client)
    await expect(await client.post("/register", data=complete()), '{"result": "0006"}')
    assert rows("SELECT * FROM users") == []


async def test_with_another_phone_in_user_id_no_user_is_made(client, rows):
    code = await started(client)
    await expect(await verify(client, code), '{"result": "0000"}')
    await expect(await client.post("/register", data=complete(userId="13900139000")), '{"result": "0006"}')
    assert rows("SELECT * FROM users") == []
    await expect(await client.post("/register", data=complete(userId="+86 138 0013 8000")), '{"result": "0000"}')


async def test_a_client_without_cookies_registers_as_the_real_servers_clients_did(aiohttp_client, make_config,
                                                                                 rows):
    """views.py at 976b253 kept no state between the steps: each is a request of its own, with no cookie."""
    def fresh():
        return aiohttp_client(init_app(make_config()), cookie_jar=aiohttp.DummyCookieJar())
    code = await started(await fresh())
    wrong = "0000" if code != "0000" else "1111"
    await expect(await verify(await fresh(), wrong), '{"result": "0004"}')
    await expect(await (await fresh()).post("/register", data={"code_v": wrong, "code": code}), '{"result": "0000"}')
    response = await (await fresh()).post("/upload", data=upload_form(image("PNG")))
    head_image = json.loads(await response.text())["message"]
    await expect(await (await fresh()).post("/register", data=complete(headImage=head_image)), '{"result": "0000"}')
    [user] = rows("SELECT phone, phone_verified_at, avatar FROM users")
    assert user == {"phone": PHONE, "phone_verified_at": None, "avatar": head_image.rsplit("/", 1)[1]}


async def test_a_verified_code_completes_only_its_own_number_once(client, rows):
    await expect(await verify(client, await started(client)), '{"result": "0000"}')
    other = await client.get("/register", params={"userId": "13900139000"})  # sent, never verified
    assert json.loads(await other.text())["result"] == "0000"
    stranger = {"register": "1", "password": PASSWORD, "userId": "13900139000"}
    await expect(await client.post("/register", data=stranger), '{"result": "0006"}')
    await expect(await client.post("/register", data=complete()), '{"result": "0000"}')
    await expect(await client.post("/register", data=complete()), '{"result": "0006"}')
    assert [r["phone"] for r in rows("SELECT phone FROM users")] == [PHONE]


async def test_three_wrong_codes_then_0005_even_for_the_right_one(client):
    code = await started(client)
    wrong = "0000" if code != "0000" else "1111"
    for _ in range(3):
        await expect(await verify(client, wrong), '{"result": "0004"}')
    await expect(await verify(client, code), '{"result": "0005"}')


@pytest.mark.parametrize("fields", [{"password": "short1"}, {"password": "lettersonly"}, {"password": "12345678"},
                                    {"gender": "2"}, {"headImage": "static/user_imgs/../../config.yaml"},
                                    {"headImage": "static/user_imgs/" + "0" * 32 + ".png"}, {"password": None}])
async def test_a_bad_completion_is_0006_and_makes_no_user(client, rows, fields):
    code = await started(client)
    await expect(await verify(client, code), '{"result": "0000"}')
    data = {k: v for k, v in complete(**fields).items() if v is not None}
    await expect(await client.post("/register", data=data), '{"result": "0006"}')
    assert rows("SELECT * FROM users") == []


async def test_send_code_failures(client, rows, outbox_path):
    await expect(await send_code(client, "1380013800"), '{"result": "0002", "message": null}')
    await started(client)
    await expect(await send_code(client), '{"result": "0002", "message": null}')  # again within a minute
    code = outbox(outbox_path)[-1]["code"]
    await verify(client, code)
    await client.post("/register", data=complete())
    await expect(await send_code(client), '{"result": "0001", "message": null}')


async def test_the_code_can_stay_on_the_server(aiohttp_client, make_config, outbox_path):
    client = await aiohttp_client(init_app(make_config("dialects={result: {hand_code_to_client: false}}")))
    await expect(await send_code(client), '{"result": "0000", "message": null}')
    assert len(outbox(outbox_path)) == 1


@pytest.mark.parametrize("data, filename, content_type", [
    (PHP, "shell.php", "image/png"), (image("PNG"), "shell.php", "image/png"),
    (image("PNG"), "../../static/x.png", "image/png"), (image("PNG"), "..\\x.png", "image/png"),
    (b"not an image", "me.png", "image/png"), (image("PNG") + b"\0" * (2 << 20), "big.png", "image/png"),
    (png_claiming(50000, 50000), "bomb.png", "image/png"), (SVG, "x.svg", "image/svg+xml"),
    (SVG, "x.png", "image/png")],
    ids=["php", "image-named-php", "dot-dot", "backslash-dot-dot", "not-an-image", "oversized", "bomb", "svg",
         "svg-named-png"])
async def test_upload_attacks_are_0006_and_store_nothing(verified, rows, data, filename, content_type):
    response = await verified.post("/upload", data=upload_form(data, filename, content_type))
    await expect(response, '{"result": "0006", "message": null}')
    assert stored(rows) == []


async def test_an_upload_is_kept_as_its_pixels_without_metadata_or_trailing_bytes(verified, rows):
    sent = marked_jpeg()
    assert b"GPS-MARK" in sent and sent.endswith(b"TRAILER-MARK")
    response = await verified.post("/upload", data=upload_form(sent, "me.jpg", "image/jpeg"))
    served = await (await verified.get("/" + json.loads(await response.text())["message"])).read()
    assert b"GPS-MARK" not in served and b"TRAILER-MARK" not in served and b"Exif" not in served
    with Image.open(io.BytesIO(served)) as kept:
        assert (kept.format, kept.size, kept.getexif().get_ifd(0x8825)) == ("JPEG", (64, 48), {})


async def test_a_tiny_file_that_decodes_huge_is_0006_before_it_is_decoded(verified, rows):
    bomb = webp_bomb(4096)
    assert len(bomb) < 2048  # 4096x4096 pixels: 64 MiB once decoded
    response = await verified.post("/upload", data=upload_form(bomb, "me.webp", "image/webp"))
    await expect(response, '{"result": "0006", "message": null}')
    assert stored(rows) == []


async def test_an_upload_beyond_the_routes_body_limit_is_0006(verified, rows):
    big = upload_form(image("PNG") + b"\0" * (3 << 20), "big.png")
    await expect(await verified.post("/upload", data=big), '{"result": "0006", "message": null}')
    assert stored(rows) == []


async def test_an_image_above_the_servers_body_limit_but_within_the_routes_is_kept(verified, rows):
    noisy = io.BytesIO()
    Image.frombytes("RGB", (700, 700), os.urandom(700 * 700 * 3)).save(noisy, format="PNG")
    assert 1 << 20 < len(noisy.getvalue()) < 2 << 20  # above server.max_body_bytes, within the image limit
    response = await verified.post("/upload", data=upload_form(noisy.getvalue(), "blob"))
    assert json.loads(await response.text())["result"] == "0000" and len(stored(rows)) == 1


async def test_an_upload_without_a_file_is_0006(verified):
    await expect(await verified.post("/upload", data={"img": "just text"}), '{"result": "0006", "message": null}')


async def test_uploads_are_bounded_per_client_address(aiohttp_client, make_config, rows):
    # each 77-byte image is charged 4096 bytes (a row costs more than its bytes): two fit, not three
    client = await aiohttp_client(init_app(make_config("throttle.uploads.ip_hourly_bytes=9000")))
    for _ in range(2):
        assert json.loads(await (await client.post("/upload", data=upload_form(image()))).text())["result"] == "0000"
    before = rows.snapshot()
    await expect(await client.post("/upload", data=upload_form(image())), '{"result": "0006", "message": null}')
    assert rows.snapshot() == before and len(stored(rows)) == 2


async def test_a_replaced_upload_still_counts_against_the_budget(aiohttp_client, make_config, rows):
    """One flow keeps one avatar, each upload replacing the last; the budget counts what was sent."""
    client = await aiohttp_client(init_app(make_config("throttle.uploads.ip_hourly_bytes=9000")))
    await expect(await verify(client, await started(client, "13900139000")), '{"result": "0000"}')
    for _ in range(2):
        assert json.loads(await (await client.post("/upload", data=upload_form(image()))).text())["result"] == "0000"
    assert len(stored(rows)) == 1
    before = rows.snapshot()
    await expect(await client.post("/upload", data=upload_form(image())), '{"result": "0006", "message": null}')
    assert rows.snapshot() == before


async def test_head_image_may_not_be_someone_elses_avatar(verified, aiohttp_client, make_config, rows):
    other = await aiohttp_client(init_app(make_config()))
    await expect(await verify(other, await started(other, "13900139000")), '{"result": "0000"}')
    theirs = json.loads(await (await other.post("/upload", data=upload_form(image()))).text())["message"]
    await expect(await other.post("/register", data=complete(userId="13900139000", headImage=theirs)),
                 '{"result": "0000"}')
    before = rows.snapshot()
    for name in (theirs, "static/user_imgs/" + "0" * 32 + ".png"):
        await expect(await verified.post("/register", data=complete(headImage=name)), '{"result": "0006"}')
    assert rows.snapshot() == before


@pytest.mark.parametrize("name, served", [("IMG_0001", True), ("photo.jfif", True), ("photo.JPG", True),
                                          ("a.html", False), ("x.svg", False)])
async def test_a_file_name_is_judged_only_by_what_it_claims(verified, name, served):
    response = await verified.post("/upload", data=upload_form(image("JPEG"), name, "image/jpeg"))
    assert (json.loads(await response.text())["result"] == "0000") is served


async def test_static_files_are_only_the_cores_own_names_with_their_true_type(verified, rows):
    data = image("WEBP")
    response = await verified.post("/upload", data=upload_form(data, "me.webp", "image/webp"))
    path = json.loads(await response.text())["message"]
    served = await verified.get("/" + path)
    assert (served.status, served.headers["Content-Type"], served.headers["Content-Security-Policy"]) == (
        200, "image/webp", "default-src 'none'")
    assert await served.read() == redrawn(data)[0]  # drawn anew from its pixels, as the core keeps it
    [name] = stored(rows)
    for bad in ("x.svg", "..%2f..%2fconfig.yaml", "%2e%2e/x.png", "f" * 32 + ".png", name.upper(),
                name.replace(".webp", ".png")):
        assert (await verified.get(f"/static/user_imgs/{bad}")).status == 404


async def test_login_failures(client):
    await expect(await client.post("/log", data={"userId": PHONE, "password": PASSWORD}),
                 '{"result": "0007", "message": null}')


async def test_a_result_user_logs_in_through_every_other_dialect(client, outbox_path):
    code = await started(client)
    await verify(client, code)
    await expect(await client.post("/register", data=complete()), '{"result": "0000"}')
    await expect(await client.post("/log", data={"userId": PHONE, "password": "wrong"}),
                 '{"result": "0008", "message": null}')
    express = await client.post("/express/login/api/login/v1", data={"loginInfo": PHONE, "pwd": PASSWORD})
    token = json.loads(await express.text())["data"]["authorization"]
    assert json.loads(await express.text())["data"] == {"authorization": token, "isCertified": False,
                                                         "avatar": DEFAULT_AVATAR, "userName": PHONE, "userId": 1}
    istatus = await client.post("/i/login", data={"username": PHONE, "password": "YWJjZDEyMzQ="})
    assert await istatus.text() == (
        '{"status":{"status_code":"200","status_message":"OK"},"content":{"id":"1","user_name":"13800138000",'
        '"mobile":"13800138000","email":"","user_type":0,"gid":"100001","orgId":"","passport":"13800138000",'
        '"memo":""}}')
    cloud = await client.server.app[CORE].apps.add("t")
    response = await client.get("/api/cloud_user/login/psw", params={"phone": PHONE, "password": PASSWORD},
                                headers={"app_id": cloud.app_id, "app_secret": cloud.app_secret})
    assert json.loads(await response.text())["code"] == 1


async def test_an_api2_user_logs_in_through_result(client):
    await client.post("/api2/users/userReg/dev-1", params={"uname": "bob", "upwd": "pw", "phone": PHONE},
                      headers={"devInfo": "{}"})
    response = await client.post("/log", data={"userId": PHONE, "password": "pw"})
    assert json.loads(await response.text())["result"] == "0000"


async def test_a_new_code_lifts_the_0005(aiohttp_client, make_config):
    client = await aiohttp_client(init_app(make_config("codes.resend_after=0")))
    code = await started(client)
    wrong = "0000" if code != "0000" else "1111"
    for _ in range(3):
        await verify(client, wrong)
    await expect(await verify(client, code), '{"result": "0005"}')
    await expect(await verify(client, await started(client)), '{"result": "0000"}')


async def test_a_code_that_cannot_be_delivered_is_0002(aiohttp_client, make_config, tmp_path, rows):
    client = await aiohttp_client(init_app(make_config(f"notify.outbox={tmp_path}")))  # a folder: unwritable
    await expect(await send_code(client), '{"result": "0002", "message": null}')
    assert [c["used_at"] is not None for c in rows("SELECT used_at FROM codes")] == [True]
    assert rows("SELECT * FROM flows") == []


async def test_failed_sends_and_logins_store_nothing(client, rows):
    before = rows.snapshot()
    await expect(await send_code(client, "23800138000"), '{"result": "0002", "message": null}')
    await expect(await client.post("/log", data={"userId": PHONE}), '{"result": "0006", "message": null}')
    await expect(await client.post("/register", data={"nothing": "here"}), '{"result": "0006", "message": null}')
    assert rows.snapshot() == before


async def test_a_login_without_expire_in_lives_a_day(client):
    code = await started(client)
    await verify(client, code)
    await client.post("/register", data=complete())
    response = await client.post("/log", data={"userId": PHONE, "password": PASSWORD})
    session = await client.server.app[CORE].authenticate(json.loads(await response.text())["message"])
    assert session.expires_at - session.created_at == 86400


async def test_a_code_handed_out_here_proves_nothing_anywhere_else(client, rows):
    """Anyone may read a code here, so another dialect must not take it as proof of owning the number."""
    code = await started(client)
    response = await client.post("/i/register", data={"username": PHONE, "password": "cHc=",
                                                      "code": base64.b64encode(code.encode()).decode()})
    assert await response.text() == '{"status":{"status_code":"3208","status_message":"验证码错误"},"content":{}}'
    assert rows("SELECT * FROM users") == []


async def test_an_email_is_no_user_id(client, rows, outbox_path):
    await expect(await send_code(client, "ann@example.com"), '{"result": "0002", "message": null}')
    assert outbox(outbox_path) == [] and rows("SELECT * FROM codes") == []


async def test_a_flows_number_wins_over_a_different_userid(verified, rows):
    before = rows.snapshot()
    await expect(await verified.post("/register", data=complete(userId="13900139000")), '{"result": "0006"}')
    assert rows.snapshot() == before


@pytest.mark.parametrize("step, answer", [("registered", '{"result": "0001", "message": null}'),
                                          ("wrong", '{"result": "0004"}'), ("spent", '{"result": "0005"}')])
async def test_failures_0001_0004_0005_store_nothing(verified, rows, step, answer):
    if step == "registered":
        await verified.post("/register", data=complete())
        before = rows.snapshot()
        await expect(await send_code(verified), answer)
    else:
        code = await started(verified, "13900139000")
        wrong = "0000" if code != "0000" else "1111"
        for _ in range(3 if step == "spent" else 0):
            await verify(verified, wrong)
        before = rows.snapshot()
        await expect(await verify(verified, wrong), answer)
    after = rows.snapshot()
    for snapshot in (before, after):  # a wrong code counts a try: the one write a refusal makes
        for code in snapshot["codes"]:
            code.pop("attempts")
    assert after == before


async def test_a_second_upload_replaces_the_flows_first(verified, rows):
    first = json.loads(await (await verified.post("/upload", data=upload_form(image("PNG")))).text())["message"]
    second = json.loads(await (await verified.post("/upload", data=upload_form(image("GIF"), "me.gif"))).text())[
        "message"]
    assert stored(rows) == [second.rsplit("/", 1)[1]]
    assert ((await verified.get("/" + first)).status, (await verified.get("/" + second)).status) == (404, 200)
    await expect(await verified.post("/register", data=complete(headImage=second)), '{"result": "0000"}')
    assert rows("SELECT avatar FROM users") == [{"avatar": second.rsplit("/", 1)[1]}]
