"""Avatars in the core: only real images within the limits are kept, under
names the server makes."""
from __future__ import annotations

import pytest

from facade.core import images
from facade.core.outcomes import InvalidImage, InvalidParameter
from tests.images import PHP, SVG, image, png_claiming


@pytest.mark.parametrize("fmt, ext", [("PNG", "png"), ("JPEG", "jpg"), ("GIF", "gif"), ("WEBP", "webp")])
async def test_each_allowed_format_is_kept_under_a_server_made_name(core, tmp_path, fmt, ext):
    data = image(fmt)
    stored = await core.store_avatar(image=data)
    assert stored.name.endswith(f".{ext}") and len(stored.name) == 32 + 1 + len(ext)
    assert (tmp_path / "files" / "avatars" / stored.name).read_bytes() == data


@pytest.mark.parametrize("data", [
    pytest.param(PHP, id="php"), pytest.param(SVG, id="svg"), pytest.param(b"", id="empty"),
    pytest.param(image("PNG")[:40], id="truncated"), pytest.param(image("PNG", (64, 64))[:-30], id="cut-short"), pytest.param(image("BMP"), id="bmp"),
    pytest.param(png_claiming(50000, 50000), id="bomb"), pytest.param(image("PNG", (4097, 1)), id="too-wide"),
    pytest.param(image("PNG") + b"\0" * images.MAX_BYTES, id="too-large")])
async def test_anything_else_is_refused_and_nothing_is_written(core, tmp_path, data):
    with pytest.raises(InvalidImage):
        await core.store_avatar(image=data)
    assert not (tmp_path / "files" / "avatars").exists() or not any((tmp_path / "files" / "avatars").iterdir())


def test_the_limits_are_the_issues():
    assert (images.MAX_BYTES, images.MAX_SIDE) == (2 * 1024 * 1024, 4096)
    images.extension(image("PNG", (4096, 4096)))


async def test_registration_takes_only_an_avatar_this_server_stored(core):
    stored = await core.store_avatar(image=image())
    user = (await core.register(phone="13800138000", password="pw", avatar=stored.name)).user
    assert user.avatar == stored.name
    for name in ("../../etc/passwd", "0" * 32 + ".png", stored.name.upper()):
        with pytest.raises(InvalidParameter):
            await core.register(phone="13900139000", password="pw", avatar=name)
