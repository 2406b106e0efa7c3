"""The lecture's dropout CNN runs character for character; only the import lines are matnn's."""

from __future__ import annotations

import contextlib
import io
import textwrap

import numpy as np

#: The lecture's code, verbatim (data preparation and imports are not part of it).
LECTURE = textwrap.dedent("""\
    model = Sequential()
    model.add(Conv2D(64, kernel_size=3, activation='relu', input_shape=(28,28,1)))
    model.add(Dropout(.5, noise_shape=None, seed=None))
    model.add(Conv2D(32, kernel_size=3, activation='relu'))
    model.add(Flatten())
    model.add(Dense(10, activation='softmax'))
    model.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['accuracy'])
    model.fit(X_train, y_train, validation_data=(X_test, y_test), epochs=1)
    score = model.evaluate(X_test, y_test, verbose=0)
    print('Test loss:', score[0]); print('Test accuracy:', score[1])
""")

IMPORTS = textwrap.dedent("""\
    from matnn import Sequential
    from matnn.layers import Conv2D, Dropout, Flatten, Dense
    from matnn.utils import to_categorical
""")


def _digits_28x28(n_train: int, n_test: int) -> tuple[np.ndarray, ...]:
    """scikit-learn's 8×8 digits blown up 3× and framed to 28×28 (as MNIST frames its 20×20 digits)."""
    from sklearn.datasets import load_digits

    d = load_digits()
    x = np.kron(d.images / 16.0, np.ones((3, 3)))  # 24 × 24
    x = np.pad(x, ((0, 0), (2, 2), (2, 2)))[..., None].astype(np.float32)
    rng = np.random.default_rng(0)
    idx = rng.permutation(len(x))
    tr, te = idx[:n_train], idx[n_train : n_train + n_test]
    return x[tr], d.target[tr], x[te], d.target[te]


def test_lecture_dropout_cnn_runs_verbatim():
    import matnn

    matnn.set_seed(0)
    x_tr, lab_tr, x_te, lab_te = _digits_28x28(400, 200)
    namespace: dict = {}
    exec(IMPORTS, namespace)
    to_categorical = namespace["to_categorical"]
    namespace.update(X_train=x_tr, y_train=to_categorical(lab_tr), X_test=x_te, y_test=to_categorical(lab_te, 10))
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        exec(LECTURE, namespace)
    score = namespace["score"]
    assert isinstance(score, list) and len(score) == 2  # Keras: [loss, accuracy]
    lines = out.getvalue().strip().splitlines()[-2:]
    assert lines[0].startswith("Test loss: ") and lines[1].startswith("Test accuracy: ")
    assert float(lines[1].split()[-1]) == score[1]
    assert np.isfinite(score[0]) and score[0] < np.log(10)  # below the loss of guessing uniformly
    assert score[1] > 0.5  # one epoch on 400 digits; chance is 0.1
    model = namespace["model"]
    assert [type(layer).__name__ for layer in model.layers] == ["Conv2D", "Dropout", "Conv2D", "Flatten", "Dense"]
    assert model.evaluate(x_te, to_categorical(lab_te), return_dict=True)["accuracy"] == score[1]
