"""OCR that more than one worker uses: Tesseract, image preparation, PDF pages rendered."""
