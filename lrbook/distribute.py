"""Data-parallel training: what the library's own variables need when a step runs on many devices.

Two ways to train one model on several devices are supported:

* ``tf.distribute.MirroredStrategy`` (TensorFlow backend). The model is built and compiled in
  ``strategy.scope()``; each train step runs once per replica, on its share of the global batch,
  inside ``strategy.run``. Every variable created in the scope is a *mirrored* variable, one copy
  per device. Three things follow for a tool that adds variables to the train step:

  - they must be created in the model's strategy scope too (:func:`variable_scope`), or all
    replicas would write one variable on one device, each step once per replica;
  - a value a replica computes is its own share's: Keras' ``compute_loss`` returns the loss of
    the replica's share divided by the number of replicas, and the gradients of the replicas are
    summed. :func:`global_loss` sums the replicas' losses (an all-reduce inside the step), which
    gives the loss of the whole global batch, the one the step descends (for a batch that does
    not split evenly, the mean of the replicas' mean losses: still the loss Keras trains on);
  - a mirrored variable created with ``aggregation="none"`` (the default) is written in replica
    context by each replica into its own copy. Every replica writes the same value (the
    all-reduced loss, the mirrored weights), so the copies stay equal, and a callback reads the
    first one.

  Variables the metrics create are "sync on read" instead: each replica keeps its own partial
  sum, and reading one in cross-replica context sums them. :func:`local_copies` lists a
  variable's per-device copies, so :class:`lrbook.model_state.ModelState` can save and restore
  each copy bit for bit.

* ``keras.distribution.DataParallel`` (JAX backend). The train step is one jitted function over
  the global batch, sharded across the devices by XLA: the loss it computes is already the
  global batch's, and every variable is one (replicated) array. Every batch must split evenly
  across the devices (:func:`check_batch_size`).

PyTorch's own data parallelism (DDP) runs one process per device and is not covered.
"""

from __future__ import annotations

import contextlib

import keras

from lrbook.checks import require


def _tf_distribute():
    """``tf.distribute`` on the TensorFlow backend, else ``None`` (TensorFlow is not imported)."""
    if keras.backend.backend() != "tensorflow":
        return None
    import tensorflow as tf

    return tf.distribute


def variable_scope(model: keras.Model):
    """A context in which new variables are created the way ``model``'s were: in its
    ``tf.distribute`` strategy's scope on TensorFlow (mirrored on every device), else as usual."""
    distribute = _tf_distribute()
    strategy = getattr(model, "distribute_strategy", None)
    if distribute is None or strategy is None:
        return contextlib.nullcontext()
    return strategy.scope()


def global_loss(loss):
    """The loss of the whole global batch, from the loss ``compute_loss`` returned in the step.

    Inside a replica of a ``tf.distribute`` strategy with several replicas, the sum of every
    replica's (already divided by the number of replicas) loss; anywhere else ``loss`` itself.
    """
    distribute = _tf_distribute()
    if distribute is None:
        return loss
    context = distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return loss
    return context.all_reduce(distribute.ReduceOp.SUM, loss)


def local_copies(variable) -> list:
    """The per-device copies of a ``tf.distribute`` variable (a Keras variable's ``value``), or
    ``[variable]`` for any other variable. Each copy has ``numpy()`` and ``assign``."""
    distribute = _tf_distribute()
    value = getattr(variable, "value", None)
    if distribute is None or not isinstance(value, distribute.DistributedValues):
        return [variable]
    return list(value.values)


def check_mirrored_steps(owner: str, model: keras.Model) -> None:
    """Refuse ``steps_per_execution > 1`` under ``MirroredStrategy`` with several replicas.

    Keras' TensorFlow trainer runs several steps per execution in a ``tf.while_loop`` whose
    ``tf.cond`` holds the replicas' synchronisation, and TensorFlow cannot run that: ``fit``
    fails with "You must feed a value for placeholder tensor" (keras-team/keras#19246).
    """
    distribute = _tf_distribute()
    strategy = getattr(model, "distribute_strategy", None)
    if distribute is None or not isinstance(strategy, distribute.MirroredStrategy):
        return
    steps = int(getattr(model, "steps_per_execution", 1) or 1)
    require(
        owner,
        "model.steps_per_execution",
        steps,
        steps == 1 or strategy.num_replicas_in_sync == 1,
        "1 under tf.distribute.MirroredStrategy with several replicas (Keras' TensorFlow "
        "trainer cannot run several steps per execution there: keras-team/keras#19246)",
    )


def batch_shards() -> int:
    """The number of devices each batch is split across by the global ``keras.distribution``
    (JAX), else 1 (``tf.distribute`` splits a batch of any size, unevenly if it must)."""
    if keras.backend.backend() != "jax":
        return 1
    distribution = keras.distribution.distribution()
    name = getattr(distribution, "batch_dim_name", None)
    if name is None:
        return 1
    mesh = distribution.device_mesh
    return int(mesh.shape[list(mesh.axis_names).index(name)])


def check_batch_size(owner: str, batch_size: int) -> None:
    """Refuse a batch that the global ``keras.distribution`` cannot split evenly: on JAX every
    batch must have a multiple of the device count rows, or ``fit`` fails deep inside."""
    shards = batch_shards()
    require(
        owner,
        "batch_size",
        batch_size,
        batch_size % shards == 0,
        f"a multiple of {shards}, the number of devices keras.distribution splits each batch "
        "across (the global batch must split evenly)",
    )
