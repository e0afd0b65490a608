using System.Text.Json;

namespace Onboarding.TaskEngine.Control;

/// <summary>One node's reply to a remote control command.</summary>
/// <typeparam name="T">The reply's typed value.</typeparam>
/// <param name="Node">The node that answered (<c>celery@host</c>).</param>
/// <param name="Value">The reply read as <typeparamref name="T"/>; default when the node answered with an error.</param>
/// <param name="Error">The node's error (<c>{"error": …}</c> replies), else null.</param>
/// <param name="Raw">The reply exactly as the node sent it, for fields the typed value does not model.</param>
public sealed record WorkerReply<T>(string Node, T? Value, string? Error, JsonElement Raw)
{
    /// <summary>True when the node did not answer with an error.</summary>
    public bool IsSuccess => Error is null;
}

/// <summary>The <c>{"ok": message}</c> / <c>{"error": message}</c> reply of control commands and ping.</summary>
/// <param name="Ok">True for <c>ok</c>.</param>
/// <param name="Message">The text the node sent (<c>pong</c>, <c>new rate limit set successfully</c>, …).</param>
public sealed record ControlResult(bool Ok, string Message);
