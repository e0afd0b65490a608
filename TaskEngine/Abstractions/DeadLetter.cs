namespace Onboarding.TaskEngine.Abstractions;

/// <summary>One message in the dead-letter queue, as an operator reads it.</summary>
/// <param name="Id">
/// The task id (header <c>id</c>), else the message's correlation or message id (an event's id), else
/// <c>sha256:</c> and the start of the body's hash, so that every dead letter can be named.
/// </param>
/// <param name="Task">The task name (header <c>task</c>), or null for events and unreadable messages.</param>
/// <param name="Reason">Why it was dead-lettered (<c>x-death-reason</c>, or the broker's own <c>x-first-death-reason</c>).</param>
/// <param name="Exception">The error that made it undeliverable (<c>x-exception</c>), if one was recorded.</param>
/// <param name="Origin">Where it came from and where a replay sends it: a queue, or <c>exchange/routing-key</c>.</param>
/// <param name="DeadLetteredAt">When it was dead-lettered (<c>x-dead-lettered-at</c>).</param>
/// <param name="ContentType">The message's content type.</param>
/// <param name="Headers">Every header, as text.</param>
/// <param name="Body">The body as UTF-8 text.</param>
public sealed record DeadLetter(
    string Id,
    string? Task,
    string Reason,
    string? Exception,
    string? Origin,
    DateTimeOffset? DeadLetteredAt,
    string? ContentType,
    IReadOnlyDictionary<string, string?> Headers,
    string Body);
