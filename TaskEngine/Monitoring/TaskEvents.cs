using System.Text.Json;
using Onboarding.TaskEngine.Protocol;

namespace Onboarding.TaskEngine.Monitoring;

/// <summary>
/// The task lifecycle events, with Celery's field names and value shapes: arguments and results as Python reprs,
/// times as ISO strings or Unix seconds, runtime in seconds. Each method is a no-op unless task events are on, so the
/// cost with events off is one field read.
/// </summary>
internal sealed class TaskEvents(EventDispatcher dispatcher)
{
    public bool Enabled => dispatcher.TaskEventsEnabled;

    public void Received(TaskMessage message)
    {
        if (Enabled)
        {
            dispatcher.Send(CeleryEventTypes.TaskReceived, message.Id, message, static (w, m) => WriteRequest(w, m));
        }
    }

    /// <summary>A client's task-sent (sent whatever the worker switch says: the caller checks <c>SendSentEvents</c>).</summary>
    public void Sent(TaskMessage message, string exchange, string routingKey, string queue) =>
        dispatcher.Send(CeleryEventTypes.TaskSent, message.Id, (message, exchange, routingKey, queue), static (w, s) =>
        {
            WriteRequest(w, s.message);
            w.WriteString("queue", s.queue);
            w.WriteString("exchange", s.exchange);
            w.WriteString("routing_key", s.routingKey);
        });

    public void Started(string taskId)
    {
        if (Enabled)
        {
            dispatcher.Send<object?>(CeleryEventTypes.TaskStarted, taskId, null, null);
        }
    }

    public void Succeeded(string taskId, object? result, double runtimeSeconds)
    {
        if (Enabled)
        {
            dispatcher.Send(CeleryEventTypes.TaskSucceeded, taskId, (result, runtimeSeconds), static (w, s) =>
            {
                w.WriteString("result", PythonRepr.Value(s.result));
                w.WriteNumber("runtime", s.runtimeSeconds);
            });
        }
    }

    public void Failed(string taskId, ExceptionInfo exception, string? traceback) => Exception(CeleryEventTypes.TaskFailed, taskId, exception, traceback);

    public void Retried(string taskId, ExceptionInfo exception, string? traceback) => Exception(CeleryEventTypes.TaskRetried, taskId, exception, traceback);

    public void Rejected(string taskId, bool requeue)
    {
        if (Enabled)
        {
            dispatcher.Send(CeleryEventTypes.TaskRejected, taskId, requeue, static (w, r) => w.WriteBoolean("requeue", r));
        }
    }

    /// <param name="taskId">The task.</param>
    /// <param name="terminated">Stopped while running (<c>terminate=True</c>).</param>
    /// <param name="expired">Discarded because its <c>expires</c> passed.</param>
    public void Revoked(string taskId, bool terminated, bool expired)
    {
        if (Enabled)
        {
            dispatcher.Send(CeleryEventTypes.TaskRevoked, taskId, (terminated, expired), static (w, s) =>
            {
                w.WriteBoolean("terminated", s.terminated);
                // Celery names the signal that stopped the pool process; a handler's token stands for SIGTERM (15).
                if (s.terminated)
                {
                    w.WriteNumber("signum", 15);
                }
                else
                {
                    w.WriteNull("signum");
                }

                w.WriteBoolean("expired", s.expired);
            });
        }
    }

    private void Exception(string type, string taskId, ExceptionInfo exception, string? traceback)
    {
        if (Enabled)
        {
            dispatcher.Send(type, taskId, (exception, traceback), static (w, s) =>
            {
                w.WriteString("exception", PythonRepr.Exception(s.exception));
                w.WriteString("traceback", s.traceback ?? string.Empty);
            });
        }
    }

    // Celery's task-received / task-sent request fields, in its order.
    private static void WriteRequest(Utf8JsonWriter w, TaskMessage m)
    {
        w.WriteString("name", m.Name);
        w.WriteString("args", m.ArgsRepr ?? PythonRepr.Args(m.Args));
        w.WriteString("kwargs", m.KwargsRepr ?? PythonRepr.Kwargs(m.Kwargs));
        w.WriteString("root_id", m.RootId ?? m.Id);
        WriteStringOrNull(w, "parent_id", m.ParentId);
        w.WriteNumber("retries", m.Retries);
        WriteStringOrNull(w, "eta", m.Eta is { } eta ? CeleryTime.FormatHeader(eta) : null);
        WriteStringOrNull(w, "expires", m.Expires is { } expires ? CeleryTime.FormatHeader(expires) : null);
    }

    private static void WriteStringOrNull(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null)
        {
            w.WriteNull(name);
        }
        else
        {
            w.WriteString(name, value);
        }
    }
}
