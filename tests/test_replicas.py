"""fit_replicas: K seeds trained side by side behave exactly like K separate runs."""

import keras
import numpy as np
import pytest

from lrbook.book import make_deterministic, models
from lrbook.book.replicas import fit_replicas
from lrbook.schedules import CyclicalLR


def _data(n=96):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 12)).astype("float32")
    y = (x[:, :3].sum(axis=1) > 0).astype("int32") + 2 * (x[:, 3] > 0)
    return x, y.astype("int32")


def _mlp(seed):
    return models.make_mlp(seed=seed, input_shape=(12,), num_classes=4, hidden=(16,))


def _alone(seed, optimizer, x, y, **fit_kwargs):
    make_deterministic(0)  # the same batch order as the stacked run
    model = _mlp(seed)
    model.compile(optimizer, "sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, **fit_kwargs)
    return model, history.history


OPTIMIZERS = {
    "sgd-momentum": lambda: keras.optimizers.SGD(0.1, momentum=0.9),
    "adam": lambda: keras.optimizers.Adam(0.01),
    "sgd-schedule": lambda: keras.optimizers.SGD(CyclicalLR(0.01, 0.2, step_size=3)),
}


@pytest.mark.parametrize("seeds", [[3, 5], [4]], ids=["two-seeds", "one-seed"])
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_each_copy_trains_exactly_as_it_would_alone(name, seeds):
    x, y = _data()
    fit = dict(batch_size=16, epochs=3, validation_data=(x[:32], y[:32]), verbose=0)
    make_deterministic(0)
    replicas = fit_replicas(_mlp, seeds, OPTIMIZERS[name](), x, y, **fit)
    for seed, model, history in zip(seeds, replicas.models, replicas.histories, strict=True):
        alone, alone_history = _alone(seed, OPTIMIZERS[name](), x, y, **fit)
        for a, b in zip(model.get_weights(), alone.get_weights(), strict=True):
            np.testing.assert_array_equal(a, b)
        assert sorted(history) == sorted(alone_history)
        for key in history:
            np.testing.assert_array_equal(history[key], alone_history[key])


def test_copies_start_from_their_own_seeds():
    x, y = _data()
    replicas = fit_replicas(_mlp, [0, 1], keras.optimizers.SGD(0.0), x, y, epochs=1, verbose=0)
    for seed, model in zip([0, 1], replicas.models, strict=True):
        for a, b in zip(model.get_weights(), _mlp(seed).get_weights(), strict=True):
            np.testing.assert_array_equal(a, b)  # a zero rate leaves the initial weights
    assert not np.array_equal(replicas.models[0].get_weights()[0], _mlp(1).get_weights()[0])


@pytest.mark.parametrize("seeds", [[0, 1, 2], [0]], ids=["three-seeds", "one-seed"])
def test_evaluate_and_predict_per_copy(seeds):
    x, y = _data()
    replicas = fit_replicas(
        _mlp, seeds, keras.optimizers.SGD(0.1), x, y, batch_size=32, epochs=2, verbose=0
    )
    scores = replicas.evaluate(x, y)
    predictions = replicas.predict(x)
    assert len(scores) == len(predictions) == len(seeds)
    for model, score, prediction in zip(replicas.models, scores, predictions, strict=True):
        own = model.predict(x, verbose=0)
        np.testing.assert_allclose(prediction, own, rtol=1e-6)
        accuracy = np.mean(own.argmax(axis=1) == y)
        assert sorted(score) == ["accuracy", "loss"]
        assert abs(score["accuracy"] - accuracy) < 1e-6
        cross_entropy = -np.mean(np.log(own[np.arange(len(y)), y]))
        assert abs(score["loss"] - cross_entropy) < 1e-4


def test_callbacks_see_each_copy_loss():
    x, y = _data()
    seen = []
    record = keras.callbacks.LambdaCallback(on_train_batch_end=lambda _, logs: seen.append(logs))
    fit_replicas(
        _mlp,
        [0, 1],
        keras.optimizers.SGD(0.1),
        x,
        y,
        batch_size=32,
        epochs=1,
        verbose=0,
        callbacks=[record],
    )
    assert {"loss", "replica_0_loss", "replica_1_loss"} <= set(seen[-1])
    total = seen[-1]["replica_0_loss"] + seen[-1]["replica_1_loss"]
    assert abs(seen[-1]["loss"] - total) < 1e-5


@pytest.mark.parametrize("seeds", [[], [-1], [0.5]])
def test_bad_seeds_are_refused(seeds):
    x, y = _data()
    with pytest.raises(ValueError, match="fit_replicas: `seeds`"):
        fit_replicas(_mlp, seeds, keras.optimizers.SGD(0.1), x, y, verbose=0)


@pytest.mark.parametrize("momentum, nesterov", [(0.0, False), (0.9, False), (0.9, True)])
def test_rate_factors_train_each_copy_at_its_own_rate(momentum, nesterov):
    x, y = _data()
    rates = [0.02, 0.2]
    fit = dict(batch_size=16, epochs=2, verbose=0)
    make_deterministic(0)
    replicas = fit_replicas(
        _mlp,
        [3, 3],
        keras.optimizers.SGD(1.0, momentum=momentum, nesterov=nesterov),
        x,
        y,
        rate_factors=rates,
        **fit,
    )
    assert replicas.rate_factors == rates
    for rate, model, history in zip(rates, replicas.models, replicas.histories, strict=True):
        sgd = keras.optimizers.SGD(rate, momentum=momentum, nesterov=nesterov)
        alone, alone_history = _alone(3, sgd, x, y, **fit)
        for a, b in zip(model.get_weights(), alone.get_weights(), strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)  # equal up to rounding
        np.testing.assert_allclose(history["loss"], alone_history["loss"], rtol=1e-4)
    assert not np.allclose(replicas.models[0].get_weights()[0], replicas.models[1].get_weights()[0])


@pytest.mark.parametrize(
    "optimizer, factors, message",
    [
        (
            lambda: keras.optimizers.Adam(0.01),
            [1.0, 2.0],
            "`optimizer` must be keras.optimizers.SGD",
        ),
        (lambda: keras.optimizers.SGD(0.1, weight_decay=0.01), [1.0, 2.0], "without weight decay"),
        (lambda: keras.optimizers.SGD(0.1, clipnorm=1.0), [1.0, 2.0], "or clipping"),
        (lambda: keras.optimizers.SGD(0.1), [1.0], "one factor per seed"),
        (
            lambda: keras.optimizers.SGD(0.1),
            [1.0, 0.0],
            "`rate_factors` must be a finite number > 0",
        ),
    ],
)
def test_bad_rate_factors_are_refused(optimizer, factors, message):
    x, y = _data()
    with pytest.raises(ValueError, match=message):
        fit_replicas(_mlp, [0, 1], optimizer(), x, y, rate_factors=factors, verbose=0)
