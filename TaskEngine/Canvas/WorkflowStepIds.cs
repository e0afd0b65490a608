namespace Onboarding.TaskEngine.Canvas;

/// <summary>
/// Builds the steps of a workflow about one subject (a user, an order) with their task ids chosen before it is sent,
/// so that the application can record which task is which step before any step runs. A step is immutable (it does
/// not read the previous step's result) and carries the subject as its own keyword argument; it is recorded under
/// its step name, the task name's last dotted part (<c>user_service.tasks.validate_user_data</c> →
/// <c>validate_user_data</c>).
/// </summary>
public sealed class WorkflowStepIds
{
    private readonly Dictionary<string, string> _taskIds = new(StringComparer.Ordinal);
    private readonly string _subjectKwarg;
    private readonly object _subject;

    /// <summary>Steps that each take <paramref name="subject"/> as keyword argument <paramref name="subjectKwarg"/>.</summary>
    public WorkflowStepIds(string subjectKwarg, object subject)
    {
        ArgumentException.ThrowIfNullOrEmpty(subjectKwarg);
        ArgumentNullException.ThrowIfNull(subject);
        _subjectKwarg = subjectKwarg;
        _subject = subject;
    }

    /// <summary>Step name → task id of every step created so far.</summary>
    public IReadOnlyDictionary<string, string> TaskIds => _taskIds;

    /// <summary>Creates the step for <paramref name="task"/> with a new task id and records it.</summary>
    public Signature Step(string task)
    {
        var id = Guid.CreateVersion7().ToString();
        _taskIds[StepName(task)] = id;
        return new TaskSignature(task).WithKwarg(_subjectKwarg, _subject).Immutable().WithTaskId(id);
    }

    /// <summary>The step name of a task: its name after the last dot.</summary>
    public static string StepName(string taskName)
    {
        ArgumentNullException.ThrowIfNull(taskName);
        return taskName[(taskName.LastIndexOf('.') + 1)..];
    }
}
