"""The microstructure models by name, with their default training recipes (read by the CLI and the workflows)."""

from __future__ import annotations

from matnn.core.registry import ModelRegistry

__all__ = ["MICROSTRUCTURE_MODELS"]

MICROSTRUCTURE_MODELS = ModelRegistry("microstructure")

MICROSTRUCTURE_MODELS.register(
    "tortuosity-cnn",
    "matnn.models.microstructure.cnn:tortuosity_cnn",
    family="property",
    summary="CNN predicting ln(tortuosity) from a binary pore image (optionally with a connectivity channel)",
    source="matnn's benchmark on porespy images labelled by its finite-volume solver",
    epochs=40,
    batch_size=64,
    learning_rate=2e-3,
    schedule="cosine",
    width=16,
)
MICROSTRUCTURE_MODELS.register(
    "lecture-inpainting",
    "matnn.models.microstructure.cnn:lecture_inpainting_cnn",
    family="inpainting",
    summary="the lecture's small inpainting CNN, plain SGD with batch size 1",
    source="the course's inpainting example",
    epochs=5,
    batch_size=1,
    learning_rate=0.25,
)
MICROSTRUCTURE_MODELS.register(
    "inpainting-cnn",
    "matnn.models.microstructure.cnn:inpainting_cnn",
    family="inpainting",
    summary="deeper inpainting CNN fed the image and the mask, Adam with cosine decay",
    source="matnn's inpainting benchmark",
    epochs=60,
    learning_rate=2e-3,
    schedule="cosine",
)
MICROSTRUCTURE_MODELS.register(
    "profile",
    "matnn.models.microstructure.cnn:profile_encoder_decoder",
    family="profile",
    summary="encoder-decoder mapping an image to its porosity profile along the transport direction",
    source="matnn's image → profile example",
    epochs=40,
    batch_size=64,
    learning_rate=2e-3,
    schedule="cosine",
)
MICROSTRUCTURE_MODELS.register(
    "autoencoder",
    "matnn.models.microstructure.cnn:microstructure_autoencoder",
    family="autoencoder",
    summary="bottleneck autoencoder: conv encoder to a few latent numbers, conv decoder back to the image (BCE)",
    source="the course's autoencoder lecture, on matnn's generated microstructures",
    epochs=30,
    batch_size=32,
    learning_rate=2e-3,
    schedule="cosine",
    latent=16,
    width=16,
)
