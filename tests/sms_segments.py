"""How many parts (segments) a text travels in, as a phone network counts them.

A text in the phones' plain alphabet (GSM 03.38, 7 bits a character) holds 160 characters, or 153
a part once it needs several (the rest of each part says how to join them); a character of the
alphabet's extension (€, [, ], {, }, |, ^, ~, \\) takes two places and is never split. One character
outside the alphabet (á, í, ó, ú, a narrow space, an emoji) makes the whole text Unicode (UCS-2):
70 characters, or 67 a part; a character beyond the first 65,536 (an emoji) takes two places."""

GSM7 = ("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
        "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXTENSION = "\f^{}\\[~]|€"


def plain_alphabet(body):
    """Whether the text goes in GSM-7 (else it goes as Unicode)."""
    return all(ch in GSM7 or ch in GSM7_EXTENSION for ch in body)


def segments(body):
    """The number of parts `body` is sent in."""
    if plain_alphabet(body):
        widths, single, per_part = [2 if ch in GSM7_EXTENSION else 1 for ch in body], 160, 153
    else:
        widths, single, per_part = [2 if ord(ch) > 0xFFFF else 1 for ch in body], 70, 67
    if sum(widths) <= single:
        return 1
    count, used = 1, 0
    for width in widths:
        if used + width > per_part:
            count, used = count + 1, 0
        used += width
    return count
