"""Avatars in the core: only real images within the limits are kept, under
names the server makes."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from facade.core import images
from facade.core.outcomes import InvalidImage, InvalidParameter
from facade.images import redrawn
from tests.images import PHP, SVG, image, marked_jpeg, png_claiming


@pytest.mark.parametrize("fmt, ext", [("PNG", "png"), ("JPEG", "jpg"), ("GIF", "gif"), ("WEBP", "webp")])
async def test_each_allowed_format_is_kept_under_a_server_made_name(core, fmt, ext):
    data = image(fmt)
    stored = await core.store_avatar(image=data)
    assert stored.name.endswith(f".{ext}") and len(stored.name) == 32 + 1 + len(ext)
    kept = await core.file(images.AVATARS, stored.name)
    assert kept.media_type == images.MEDIA_TYPES[ext]
    with Image.open(io.BytesIO(kept.data)) as drawn, Image.open(io.BytesIO(data)) as sent:
        assert (drawn.format, drawn.size, drawn.mode) == (sent.format, sent.size, sent.mode)


@pytest.mark.parametrize("data", [
    pytest.param(PHP, id="php"), pytest.param(SVG, id="svg"), pytest.param(b"", id="empty"),
    pytest.param(image("PNG")[:40], id="truncated"), pytest.param(image("PNG", (64, 64))[:-30], id="cut-short"), pytest.param(image("BMP"), id="bmp"),
    pytest.param(png_claiming(50000, 50000), id="bomb"), pytest.param(image("PNG", (4097, 1)), id="too-wide"),
    pytest.param(image("PNG") + b"\0" * images.MAX_BYTES, id="too-large")])
async def test_anything_else_is_refused_and_nothing_is_written(core, rows, data):
    with pytest.raises(InvalidImage):
        await core.store_avatar(image=data)
    assert rows("SELECT * FROM files") == []


def test_the_limits_are_the_issues():
    assert (images.MAX_BYTES, images.MAX_SIDE, images.MAX_PIXELS) == (2 * 1024 * 1024, 4096, 2048 * 2048)
    assert redrawn(image("PNG", (4096, 1024)))[1] == "png"
    with pytest.raises(InvalidImage, match="more than 4194304 pixels"):
        redrawn(image("PNG", (2049, 2048)))
    assert redrawn(image("PNG", (4096, 4096)), max_pixels=4096 * 4096)[1] == "png"


def test_only_the_pixels_are_kept():
    sent = marked_jpeg()
    drawn, extension = redrawn(sent)
    assert extension == "jpg" and b"GPS-MARK" not in drawn and not drawn.endswith(b"TRAILER-MARK")
    with Image.open(io.BytesIO(drawn)) as kept:
        assert (kept.size, dict(kept.getexif())) == ((64, 48), {})


async def test_registration_takes_only_an_avatar_this_server_stored(core):
    stored = await core.store_avatar(image=image())
    user = (await core.register(phone="13800138000", password="pw", avatar=stored.name)).user
    assert user.avatar == stored.name
    for name in ("../../etc/passwd", "0" * 32 + ".png", stored.name.upper()):
        with pytest.raises(InvalidParameter):
            await core.register(phone="13900139000", password="pw", avatar=name)


async def test_an_upload_no_user_took_is_swept_once_its_flow_is_over(core, clock, rows):
    from facade.core.flows import FLOW_TTL, FlowStep
    from facade.core.sweep import Housekeeping
    step = FlowStep(None, live=False, start=True)
    await core.call("send_code", {"target": "13800138000", "purpose": "register"}, step)
    kept = await core.store_avatar(image=image(), flow=step.started)
    taken = await core.store_avatar(image=image())
    await core.register(phone="13900139000", password="pw", avatar=taken.name)
    keeper = Housekeeping(core._store, windows=[900], clock=clock)
    await keeper.sweep()
    assert {r["name"] for r in rows("SELECT name FROM files")} == {kept.name, taken.name}  # the flow lives
    clock.now += FLOW_TTL + 1
    assert (await keeper.sweep())["files"] == 1
    assert [r["name"] for r in rows("SELECT name FROM files")] == [taken.name]  # a user refers to it
