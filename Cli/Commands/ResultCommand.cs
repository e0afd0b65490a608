using System.CommandLine;
using Onboarding.TaskEngine.Abstractions;

namespace Onboarding.Cli.Commands;

/// <summary><c>result</c>: a task's stored state, result, traceback and children (Celery's <c>celery result</c>, with more).</summary>
internal static class ResultCommand
{
    public static Command Create(CliContext context)
    {
        var id = new Argument<string>("id") { Description = "The task id" };
        var wait = new Option<bool>("--wait", "-w") { Description = "Wait until the task is done (SUCCESS, FAILURE or REVOKED)" };
        var timeout = TimeoutOption.Create("How long --wait waits", defaultSeconds: 60);
        var command = new Command("result", "Show a task's state, result, traceback and children") { id, wait, timeout };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var taskId = parseResult.GetRequiredValue(id);
            var output = context.Output(parseResult);
            await using var session = context.OpenSession(parseResult);
            var result = session.Get<ITaskClient>().GetResult(taskId);
            if (parseResult.GetValue(wait))
            {
                try
                {
                    await result.GetAsync(TimeoutOption.Get(parseResult, timeout), cancellationToken);
                }
                catch (Exception ex) when (ex is TaskFailedException or TimeoutException)
                {
                    // The state shown below says which.
                }
            }

            var meta = await result.GetMetaAsync(cancellationToken);
            ResultView.Write(output, taskId, meta);
            if (meta is null)
            {
                // Celery cannot tell these apart either: nothing is stored until a worker starts the task.
                output.WriteNote($"No result is stored for {taskId}: the id is unknown, the task has not started yet, or its result has expired.");
                return ExitCodes.Failed;
            }

            return ExitCodes.Success;
        });
        return command;
    }
}
