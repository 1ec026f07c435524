"""Generated photos of painted surfaces for the colour tests and benchmarks: one colour
under light falling off across the image, with sensor noise."""

import cv2
import numpy as np


def shaded_surface(height: int = 360, width: int = 640,
                   bgr: tuple[int, int, int] = (180, 120, 60), seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0:height, 0:width]
    shade = 0.55 + 0.4 * (cols / width) * (1 - 0.3 * rows / height)
    pixels = np.array(bgr, float)[None, None, :] * shade[:, :, None]
    return np.clip(pixels + rng.normal(0, 6, (height, width, 3)), 0, 255).astype(np.uint8)


def encoded(image: np.ndarray, extension: str = ".png") -> bytes:
    ok, data = cv2.imencode(extension, image)
    assert ok
    return data.tobytes()
