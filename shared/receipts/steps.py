"""The receipt pipeline's steps (seed 002): what the worker reports, what v3 shows.

The worker records a step's code as the job's `current_step` and its percentage as the
job's progress; the gateway renders the message. One table, so the two never disagree.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class ReceiptStep:
    code: str
    progress: int
    message: str


INITIALISATION = ReceiptStep("INITIALIZATION", 5, "Inicjalizacja: walidacja pliku")
VALIDATION = ReceiptStep("VALIDATION", 10, "Sprawdzenie rozmiaru i typu pliku")
OCR = ReceiptStep("OCR", 25, "Przetwarzanie OCR")
OCR_QUALITY = ReceiptStep("OCR_QUALITY", 40, "Kontrola jakości OCR")
ANALYSIS = ReceiptStep("ANALYSIS", 60, "Analiza struktury paragonu")
DATA_VALIDATION = ReceiptStep("DATA_VALIDATION", 80, "Walidacja danych")
SAVE = ReceiptStep("SAVE", 90, "Zapis wyników")
DONE = ReceiptStep("DONE", 100, "Przetwarzanie zakończone")

STEPS: dict[str, ReceiptStep] = {step.code: step for step in (
    INITIALISATION, VALIDATION, OCR, OCR_QUALITY, ANALYSIS, DATA_VALIDATION, SAVE, DONE)}

# What a job that has not reached a step yet, or has left them, shows.
STATUS_MESSAGES: dict[str, str] = {
    "PENDING": "Zadanie oczekuje na wykonanie",
    "STARTED": "Zadanie zostało rozpoczęte",
    "RETRY": "Zadanie w trakcie ponawiania",
    "SUCCESS": DONE.message,
    "FAILURE": "Przetwarzanie zakończone błędem",
    "REVOKED": "Zadanie anulowane",
}
