"""Work caps, so that no imported value can make a login stall.

Each keeps one check within about 2 s on a 2-core AMD EPYC VM (measured there: bcrypt cost 14
1.5 s; PBKDF2-SHA256 0.55 s per million iterations, SHA-512 1.2 s; Shiro's SHA-256 loop 1.3 s per
million; libpass's pure-Python sha512-crypt 1.8 s per 100,000 rounds with a 4 KiB password,
0.15 s with 8 bytes; argon2 with 256 MiB and 4 passes 1.2 s in one lane). Legacy defaults fit:
Spring bcrypt 10, Django up to 1,200,000 (6.0), Shiro 500,000, glibc 5,000 rounds.
"""
from __future__ import annotations

BCRYPT_MAX_COST = 14
PBKDF2_MAX_ITERATIONS = 2_000_000
SHIRO_MAX_ITERATIONS = 1_000_000
SHA_CRYPT_MAX_ROUNDS = 100_000  # refuses libpass's own default (656,000 rounds: 2 s and more)
ARGON2_MAX_MEMORY = 256 * 1024  # KiB
ARGON2_MAX_WORK = 4 * ARGON2_MAX_MEMORY  # memory x passes
ARGON2_MAX_LANES = 16
# The longest password a legacy scheme is asked to check: 1024 characters of 4 bytes each
# (what registration allows), and libpass's own limit. The cost of sha-crypt and of
# recipes grows with the password; beyond this a login is refused without any work.
LEGACY_PASSWORD_MAX_BYTES = 4096
INPUT_MAX_LENGTH = 1024  # a recipe input (salt, login name) from an import row
