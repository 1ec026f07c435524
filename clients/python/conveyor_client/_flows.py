"""Flows as methods: `sync_flow(pdf.submit)` on a class is a method with `pdf.submit`'s
own signature and docstring that runs the flow and answers its result; `async_flow` the
same as a coroutine. The clients' namespaces are lists of these, so the signatures live
in one place, the flows."""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, Self, TypeVar, overload

from conveyor_client.steps import Operation

if TYPE_CHECKING:
    from conveyor_client._async import AsyncRunner
    from conveyor_client._sync import SyncRunner

P = ParamSpec("P")
T = TypeVar("T")


class SyncNamespace:
    """A group of synchronous methods sharing the client's runner."""

    def __init__(self, runner: SyncRunner) -> None:
        self._runner = runner


class AsyncNamespace:
    """A group of asynchronous methods sharing the client's runner."""

    def __init__(self, runner: AsyncRunner) -> None:
        self._runner = runner


class sync_flow(Generic[P, T]):
    def __init__(self, flow: Callable[P, Operation[T]]) -> None:
        self._flow = flow
        self._signature = answering_signature(flow)

    @overload
    def __get__(self, namespace: None, owner: type) -> Self: ...
    @overload
    def __get__(self, namespace: SyncNamespace, owner: type) -> Callable[P, T]: ...

    def __get__(self, namespace: SyncNamespace | None, owner: type) -> Self | Callable[P, T]:
        if namespace is None:
            return self
        flow, runner = self._flow, namespace._runner

        @functools.wraps(flow)
        def run(*args: P.args, **kwargs: P.kwargs) -> T:
            return runner.run(flow(*args, **kwargs))

        run.__signature__ = self._signature  # type: ignore[attr-defined]
        return run


class async_flow(Generic[P, T]):
    def __init__(self, flow: Callable[P, Operation[T]]) -> None:
        self._flow = flow
        self._signature = answering_signature(flow)

    @overload
    def __get__(self, namespace: None, owner: type) -> Self: ...
    @overload
    def __get__(self, namespace: AsyncNamespace, owner: type
                ) -> Callable[P, Coroutine[Any, Any, T]]: ...

    def __get__(self, namespace: AsyncNamespace | None, owner: type
                ) -> Self | Callable[P, Coroutine[Any, Any, T]]:
        if namespace is None:
            return self
        flow, runner = self._flow, namespace._runner

        @functools.wraps(flow)
        async def run(*args: P.args, **kwargs: P.kwargs) -> T:
            return await runner.run(flow(*args, **kwargs))

        run.__signature__ = self._signature  # type: ignore[attr-defined]
        return run


def answering_signature(flow: Callable[..., Operation[Any]]) -> inspect.Signature:
    """The flow's signature with what it finally answers (`Job`) as its return type, in
    place of the generator of steps: what help() and editors should show for the method."""
    signature = inspect.signature(flow, eval_str=True)
    answer = typing.get_args(signature.return_annotation)[-1]
    return signature.replace(return_annotation=answer)
