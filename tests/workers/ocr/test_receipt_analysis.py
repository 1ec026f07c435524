"""Receipt text -> fields: hand-written OCR-like texts with exact answers, the validation
warnings one by one, and the accuracy on generated receipt photos read by the real Tesseract."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from services.workers.ocr.receipt_analysis import analyse_receipt
from services.workers.ocr.receipt_validation import check_receipt

POLISH = """\
  SKLEP WIELOBRANŻOWY MAJA
ul. Kwiatowa 5
00-950 Warszawa
NIP 123-456-32-18
28.06.2025 14:35          nr wydr. 1021
    PARAGON FISKALNY
-----------------------------
Chleb żytni       1 x3,49  3,49A
MLEKO 2% 1L 2 * 2,99 = 5,98 B
Jab1ka
        0,5OO x4,00  2,00 A
SPRZEDAŻ OPODATKOWANA A   5,49
PTU A 23,00%   1,03
SPRZEDAŻ OPODATKOWANA B   5,98
PTU B 8,00%   0,44
SUMA PTU   1,47
5UMA PLN   11,47
KARTA   11,47
"""

POLISH_PLAIN = """\
Piekarnia Kłos s.c.
al. Zwycięstwa 8
80-219 Gdańsk
NIP: 1234563218
2025-06-28 07:12
Bułka kajzerka    3 x0,69  2,07C
Rogal            1 x2,50  2,50A
KWOTA A 23,00%  0,47
KWOTA C 5,00%  0,10
SUMA: 4,57 PLN
GOTOWKA 5,00
RESZTA 0,43
"""

ENGLISH = """\
|  THE CORNER SHOP
14 High Street
Leeds LS1 4AP
VAT NO GB 123 4567 89
Jun 28 2025   09:05
Milk 2L             £1.45
Bread               £2.50
  Qty 2 @ £1.25
Eggs x6            £2.2O
SUBTOTAL           £6.15
VAT 20%             0.42
T0TAL              £6.15
CASH              £10.00
CHANGE             £3.85
"""

ENGLISH_DUE = """\
GREENGROCER & SONS
VAT Reg No: 987654321
28/06/2025 18:40
Apples 1.20
Pears 2.40
AMOUNT DUE 3.60
VISA CONTACTLESS 3.60
"""


def _value(data: dict[str, Any], name: str) -> Any:
    return data[name]["value"]


def _items(data: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(i["name"], i["quantity"], i["unit_price"], i["amount"], i["tax_class"])
            for i in data["items"]]


def test_polish_receipt_with_ocr_noise() -> None:
    data = analyse_receipt(POLISH)
    assert _value(data, "merchant") == "SKLEP WIELOBRANŻOWY MAJA"
    assert _value(data, "address") == "ul. Kwiatowa 5, 00-950 Warszawa"
    assert _value(data, "tax_id") == "1234563218"
    assert (_value(data, "date"), _value(data, "time")) == ("2025-06-28", "14:35")
    assert _items(data) == [
        ("Chleb żytni", "1.000", "3.49", "3.49", "A"),
        ("MLEKO 2% 1L", "2.000", "2.99", "5.98", "B"),
        ("Jab1ka", "0.500", "4.00", "2.00", "A"),  # name on one line, figures on the next
    ]
    assert [(t["label"], t["rate"], t["amount"]) for t in data["taxes"]] == [
        ("A", "23", "1.03"), ("B", "8", "0.44")]
    assert _value(data, "total") == "11.47"  # "5UMA" is SUMA, not an item
    assert data["total"]["confidence"] >= 0.9
    assert (_value(data, "currency"), _value(data, "payment_method")) == ("PLN", "card")
    assert data["language"] == "pl"
    assert _value(data, "subtotal") is None


def test_polish_receipt_with_colon_total_and_kwota_lines() -> None:
    data = analyse_receipt(POLISH_PLAIN)
    assert _value(data, "merchant") == "Piekarnia Kłos s.c."
    assert _value(data, "tax_id") == "1234563218"
    assert _items(data) == [("Bułka kajzerka", "3.000", "0.69", "2.07", "C"),
                            ("Rogal", "1.000", "2.50", "2.50", "A")]
    assert [(t["label"], t["rate"], t["amount"]) for t in data["taxes"]] == [
        ("A", "23", "0.47"), ("C", "5", "0.10")]
    assert _value(data, "total") == "4.57"
    assert _value(data, "payment_method") == "cash"  # GOTOWKA without its diacritic
    assert _value(data, "currency") == "PLN"


def test_english_receipt_with_ocr_noise() -> None:
    data = analyse_receipt(ENGLISH)
    assert _value(data, "merchant") == "THE CORNER SHOP"
    assert _value(data, "address") == "14 High Street, Leeds LS1 4AP"
    assert _value(data, "tax_id") == "GB123456789"
    assert (_value(data, "date"), _value(data, "time")) == ("2025-06-28", "09:05")
    assert _items(data) == [
        ("Milk 2L", None, None, "1.45", None),
        ("Bread", "2.000", "1.25", "2.50", None),  # "Qty 2 @ £1.25" joins the line above
        ("Eggs x6", None, None, "2.20", None),  # "2.2O": O read for 0
    ]
    assert [(t["label"], t["rate"], t["amount"]) for t in data["taxes"]] == [("VAT", "20", "0.42")]
    assert (_value(data, "subtotal"), _value(data, "total")) == ("6.15", "6.15")  # "T0TAL"
    assert (_value(data, "currency"), _value(data, "payment_method")) == ("GBP", "cash")
    assert data["language"] == "en"


def test_english_receipt_with_amount_due_and_day_first_date() -> None:
    data = analyse_receipt(ENGLISH_DUE)
    assert _value(data, "merchant") == "GREENGROCER & SONS"
    assert _value(data, "address") is None
    assert _value(data, "tax_id") == "987654321"  # no "GB" printed, none added
    assert _value(data, "date") == "2025-06-28"
    assert [(i["name"], i["amount"]) for i in data["items"]] == [("Apples", "1.20"),
                                                               ("Pears", "2.40")]
    assert _value(data, "total") == "3.60"
    assert _value(data, "payment_method") == "card"
    assert _value(data, "currency") is None  # nothing printed says which


def test_total_without_a_total_line_is_taken_from_the_card_payment_with_less_confidence() -> None:
    data = analyse_receipt("KIOSK RUCH\n12.05.2025\nGazeta 1 x4,50 4,50A\nKARTA 4,50\n")
    assert (_value(data, "merchant"), _value(data, "address")) == ("KIOSK RUCH", None)
    assert _items(data) == [("Gazeta", "1.000", "4.50", "4.50", "A")]  # KARTA is no item
    assert _value(data, "total") == "4.50"
    assert data["total"]["confidence"] < 0.9


def test_misread_digits_are_repaired_only_when_one_reading_is_valid() -> None:
    # A dotted zero read as 8: "2024-08-87" has exactly one valid neighbour, 2024-08-07.
    data = analyse_receipt("SKLEP\n2024-08-87 07:69\nWoda 1 x1,99 1,99A\nSUMA PLN 1,99\n")
    assert _value(data, "date") == "2024-08-07"
    assert _value(data, "time") == "07:09"
    assert data["date"]["confidence"] < 0.9


def test_total_outvoted_by_subtotal_and_card_payment() -> None:
    text = ("SHOP\nTea £2.00\nCake £1.90\nSUBTOTAL £3.90\nTOTAL £3.98\nCARD £3.90\n")
    assert _value(analyse_receipt(text), "total") == "3.90"


def test_empty_text_gives_no_values_and_is_json() -> None:
    data = analyse_receipt("")
    assert data["items"] == [] and data["taxes"] == [] and data["language"] is None
    for name in ("merchant", "address", "tax_id", "date", "time", "subtotal", "total",
                 "currency", "payment_method"):
        assert data[name] == {"value": None, "confidence": 0.0}
    json.dumps(analyse_receipt(POLISH))
    json.dumps(analyse_receipt(ENGLISH))


# --- validation ---------------------------------------------------------------------------

TODAY = date(2025, 7, 1)


def _codes(data: dict[str, Any]) -> list[str]:
    return [w["code"] for w in check_receipt(data, today=TODAY)]


def test_a_consistent_receipt_has_no_warnings_and_is_left_unchanged() -> None:
    data = analyse_receipt(POLISH)
    before = copy.deepcopy(data)
    assert check_receipt(data, today=TODAY) == []
    assert data == before


def test_items_total_mismatch_names_both_figures() -> None:
    data = analyse_receipt(POLISH)
    data["total"]["value"] = "12.47"
    warnings = check_receipt(data, today=TODAY)
    assert [w["code"] for w in warnings] == ["ITEMS_TOTAL_MISMATCH"]
    assert "11.47" in warnings[0]["message"] and "12.47" in warnings[0]["message"]
    data["total"]["value"] = "11.48"  # within a cent
    assert _codes(data) == []


def test_missing_fields() -> None:
    codes = _codes(analyse_receipt(""))
    assert codes == ["TOTAL_MISSING", "DATE_MISSING", "MERCHANT_MISSING", "NO_ITEMS"]


def test_tax_exceeding_total() -> None:
    data = analyse_receipt(POLISH)
    data["taxes"][0]["amount"] = "20.00"
    assert _codes(data) == ["TAX_EXCEEDS_TOTAL"]


@pytest.mark.parametrize(("printed", "code"), [
    ("2025-07-02", "DATE_IN_FUTURE"),
    ("2015-06-30", "DATE_TOO_OLD"),
    ("2025-02-30", "DATE_INVALID"),
])
def test_date_plausibility(printed: str, code: str) -> None:
    data = analyse_receipt(POLISH)
    data["date"]["value"] = printed
    assert _codes(data) == [code]


MALAYSIAN = """\
tan woon yann
MR D.I.Y. (JOHOR) SON BHD
(CO.REG :933109-X)
LOT 1851-A & 1851-B, JALAN KPB 6,
43300 SERI KEMBANGAN, SELANGOR
-INVOICE-
CHOPPING BOARD 35.5x25.5CM
9066468 1X 8.02 8.02
Item(s) : 1 Qty(s) : 1
TOTAL RM 33.92
ROUNDING ADJUSTMENT -RM 0.02
TOTAL ROUNDED RM 33.90
CASH RM 50.00
CHANGE RM 16.10
12-01-19 21:13 SH01 ZK09 T4 R000027830
"""


def test_the_rounded_total_confirmed_by_cash_minus_change_is_the_total() -> None:
    data = analyse_receipt(MALAYSIAN, line_confidences=[40.0] + [90.0] * 14)

    assert _value(data, "total") == "33.90"
    assert data["total"]["confidence"] >= 0.9
    assert _value(data, "date") == "2019-01-12"
    assert _value(data, "currency") == "MYR"


def test_the_company_line_above_its_registration_wins_over_a_note_above_it() -> None:
    data = analyse_receipt(MALAYSIAN, line_confidences=[40.0] + [90.0] * 14)

    assert _value(data, "merchant") == "MR D.I.Y. (JOHOR) SON BHD"
    assert data["merchant"]["confidence"] >= 0.8


def test_a_name_over_three_lines_is_joined_and_its_number_dropped() -> None:
    text = ("AIK HUAT HARDWARE\nENTERPRISE (SETIA\nALAM) SDN BHD (822737-X)\n"
            "NO. 17-6, JALAN SETIA INDAH\nTOTAL 30.00\n")

    assert _value(analyse_receipt(text), "merchant") == (
        "AIK HUAT HARDWARE ENTERPRISE (SETIA ALAM) SDN BHD")


def test_tax_and_change_lines_are_never_the_total() -> None:
    text = ("RESTORAN WAN SHENG\nTotal (Excluding GST): 7.37\nGST Payable: 0.43\n"
            "Total (Inclusive of GST): 7.80\nCASH : 50.00\nChange Due : 42.20\n"
            "TOTAL INCLUDES 6% GST 0.43\n")

    data = analyse_receipt(text)

    assert _value(data, "total") == "7.80"
    assert data["total"]["confidence"] >= 0.9  # 50.00 - 42.20 agrees


@pytest.mark.parametrize(("printed", "expected"), [
    ("Date: 10 Mar 2018 18:24", "2018-03-10"),
    ("02/JAN/2017 10:11", "2017-01-02"),
    ("Date: Oct 3, 2016 12:16:25 PM", "2016-10-03"),
    ("ORD #64 -REG #2- 25/12/2016 13:51:47", "2016-12-25"),
    ("ORD #60 -REG #2- 24/06/0018 22:43:04", "2018-06-24"),
])
def test_dates_as_receipts_print_them(printed: str, expected: str) -> None:
    assert _value(analyse_receipt(f"SHOP ONE SDN BHD\n{printed}\nTOTAL 5.00\n"), "date") == expected


def test_a_date_without_separators_is_taken_only_where_no_other_date_is_printed() -> None:
    packed = analyse_receipt("SHOP\n27032018 No CS-20243\nTOTAL 12.00\n")
    assert _value(packed, "date") == "2018-03-27" and packed["date"]["confidence"] < 0.8
    # An invoice number that happens to look like a date loses to the printed date.
    both = analyse_receipt("SHOP\nINVOICE 12062018\n01/02/2019 10:15\nTOTAL 12.00\n")
    assert _value(both, "date") == "2019-02-01"


def test_without_a_printed_date_the_dated_looking_lines_are_read_again() -> None:
    text = "SHOP\nGST ID : 002139201536\n_-. 3009/2018 No CS-20322\nTOTAL 12.00\n"
    asked: list[int] = []

    def reread(index: int) -> Iterator[str]:
        asked.append(index)
        yield "30/03/2018 No CS-20322"
        yield "30/03/2018 No. CS-20322"

    data = analyse_receipt(text, reread=reread)

    # The line with a year among its digits, not the GST number's line.
    assert asked == [2]
    assert _value(data, "date") == "2018-03-30"
    assert 0.6 < data["date"]["confidence"] < 0.8  # two readings agree, neither the first


def test_a_printed_date_is_not_read_again() -> None:
    def reread(index: int) -> Iterator[str]:
        raise AssertionError(f"line {index} read again")

    data = analyse_receipt("SHOP\nDate: 21-03-2018 13:29\nTOTAL 12.00\n", reread=reread)
    assert _value(data, "date") == "2018-03-21" and data["date"]["confidence"] == 0.9
