"""The receipt pipeline's steps (seed 002): what the worker reports, what v3 shows.
One table for both."""

from shared.jobs.steps import Step, by_code

INITIALISATION = Step("INITIALIZATION", 5, "Inicjalizacja: walidacja pliku")
VALIDATION = Step("VALIDATION", 10, "Sprawdzenie rozmiaru i typu pliku")
OCR = Step("OCR", 25, "Przetwarzanie OCR")
OCR_QUALITY = Step("OCR_QUALITY", 40, "Kontrola jakości OCR")
ANALYSIS = Step("ANALYSIS", 60, "Analiza struktury paragonu")
DATA_VALIDATION = Step("DATA_VALIDATION", 80, "Walidacja danych")
SAVE = Step("SAVE", 90, "Zapis wyników")
DONE = Step("DONE", 100, "Przetwarzanie zakończone")

STEPS: dict[str, Step] = by_code(INITIALISATION, VALIDATION, OCR, OCR_QUALITY, ANALYSIS,
                                 DATA_VALIDATION, SAVE, DONE)

# What a job that has not reached a step yet, or has left them, shows.
STATUS_MESSAGES: dict[str, str] = {
    "PENDING": "Zadanie oczekuje na wykonanie",
    "STARTED": "Zadanie zostało rozpoczęte",
    "RETRY": "Zadanie w trakcie ponawiania",
    "SUCCESS": DONE.message,
    "FAILURE": "Przetwarzanie zakończone błędem",
    "REVOKED": "Zadanie anulowane",
}
