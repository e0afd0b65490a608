using System.CommandLine;
using System.Globalization;
using Onboarding.TaskEngine.Abstractions;

namespace Onboarding.Cli.Commands;

/// <summary><c>call</c>: sends a task by name, as <c>celery call</c> does, and optionally waits for its result.</summary>
internal static class CallCommand
{
    public static Command Create(CliContext context)
    {
        var task = new Argument<string>("task") { Description = "The task's name, e.g. diagnostics.add" };
        var args = new Option<string>("--args", "-a") { Description = "Positional arguments as a JSON array", HelpName = "json" };
        var kwargs = new Option<string>("--kwargs", "-k") { Description = "Keyword arguments as a JSON object", HelpName = "json" };
        var queue = new Option<string>("--queue", "-Q")
        {
            Description = "Send to this queue (it must exist) instead of the task's route",
            HelpName = "name",
        };
        var countdown = new Option<double?>("--countdown")
        {
            Description = "Run no earlier than this many seconds from now",
            HelpName = "seconds",
        };
        countdown.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<double?>() is < 0 or double.NaN)
            {
                result.AddError("--countdown must be zero or more seconds.");
            }
        });
        var wait = new Option<bool>("--wait", "-w") { Description = "Wait for the result and print it; exit code 1 if the task fails" };
        var timeout = TimeoutOption.Create("How long --wait waits", defaultSeconds: 60);

        var command = new Command("call", "Send a task by name (like `celery call`); prints its id")
        {
            task, args, kwargs, queue, countdown, wait, timeout,
        };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var name = parseResult.GetRequiredValue(task);
            var positional = JsonArguments.ParseArray(parseResult.GetValue(args), "--args");
            var keywords = JsonArguments.ParseObject(parseResult.GetValue(kwargs), "--kwargs");
            var output = context.Output(parseResult);
            await using var session = context.OpenSession(parseResult);

            var queueName = parseResult.GetValue(queue);
            if (queueName is not null && await session.Get<IBrokerQueues>().GetStatusAsync(queueName, cancellationToken) is null)
            {
                throw new CommandFailedException(
                    $"There is no queue named '{queueName}' on the broker (workers declare the queues they consume when they " +
                    "start); name one of theirs, or leave out --queue to route the task by its name.");
            }

            var options = new TaskSendOptions
            {
                Queue = queueName,
                Countdown = parseResult.GetValue(countdown) is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
            };
            var client = session.Get<ITaskClient>();
            var result = await client.SendAsync(name, positional, keywords, options, cancellationToken);
            if (!parseResult.GetValue(wait))
            {
                if (output.Json)
                {
                    output.WriteJson(new { id = result.Id, task = name });
                }
                else
                {
                    output.WriteLine(result.Id);
                }

                return ExitCodes.Success;
            }

            var limit = TimeoutOption.Get(parseResult, timeout);
            try
            {
                await result.GetAsync(limit, cancellationToken);
            }
            catch (TaskFailedException)
            {
                // Shown below with its traceback.
            }
            catch (TimeoutException)
            {
                var state = await result.GetStateAsync(cancellationToken);
                throw new CommandFailedException(
                    $"Task {result.Id} is still {state.ToWireName()} after {limit.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s; " +
                    $"see later with `onboarding result {result.Id}`.");
            }

            var meta = await result.GetMetaAsync(cancellationToken);
            ResultView.Write(output, result.Id, meta);
            return meta?.State == TaskState.Success ? ExitCodes.Success : ExitCodes.Failed;
        });
        return command;
    }
}
