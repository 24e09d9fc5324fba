"""Reference numbers people can read out on the phone.

Eight characters from an alphabet without look-alikes (no 0/O, 1/I/L, U/V), shown
as two groups of four: "K7MX-3QRH". 29**8 ≈ 5e11 values, so a collision is
vanishingly rare; the unique constraint on the column is the final guard.
"""

import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"


def new_reference() -> str:
    chars = "".join(secrets.choice(ALPHABET) for _ in range(8))
    return f"{chars[:4]}-{chars[4:]}"
