"""Page numbers said in words, for messages both the PDF worker and the gateway write."""


def describe_pages(numbers: list[int], *, verb: bool = True) -> str:
    """Page numbers in ascending order as words: `page 3 has`, `pages 1-3, 7 have`;
    without the verb when `verb` is False."""
    spans: list[str] = []
    start = previous = numbers[0]
    for number in [*numbers[1:], None]:
        if number is not None and number == previous + 1:
            previous = number
            continue
        spans.append(str(start) if start == previous else f"{start}-{previous}")
        if number is not None:
            start = previous = number
    single = len(numbers) == 1
    tail = (" has" if single else " have") if verb else ""
    return f"{'page' if single else 'pages'} {', '.join(spans)}{tail}"
