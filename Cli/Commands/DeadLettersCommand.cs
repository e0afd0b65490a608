using System.CommandLine;
using Onboarding.Cli.Output;
using Onboarding.TaskEngine.Abstractions;

namespace Onboarding.Cli.Commands;

/// <summary>
/// <c>dead-letters list|show|replay|discard</c>: what could not run, why, and putting it back or throwing it away,
/// by id, by reason, or all.
/// </summary>
internal static class DeadLettersCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("dead-letters", "Inspect, replay or discard what landed in the dead-letter queue");
        command.Subcommands.Add(CreateList(context));
        command.Subcommands.Add(CreateShow(context));
        command.Subcommands.Add(CreateSelective(context, "replay",
            "Send dead letters back to the queue (or exchange) they came from, without their dead-letter headers", discard: false));
        command.Subcommands.Add(CreateSelective(context, "discard", "Delete dead letters for good", discard: true));
        return command;
    }

    private static Command CreateList(CliContext context)
    {
        var limit = new Option<int>("--limit", "-n")
        {
            Description = "Show at most this many, from the oldest",
            HelpName = "count",
            DefaultValueFactory = _ => 100,
        };
        limit.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<int>() < 1)
            {
                result.AddError("--limit must be at least 1.");
            }
        });
        var command = new Command("list", "List dead letters: id, task, reason, origin, when, error") { limit };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var output = context.Output(parseResult);
            await using var session = context.OpenSession(parseResult);
            var queue = session.Get<IDeadLetterQueue>();
            var letters = await queue.ListAsync(parseResult.GetValue(limit), cancellationToken);
            var total = await queue.CountAsync(cancellationToken);
            if (output.Json)
            {
                output.WriteJson(letters.Select(Summary));
            }
            else
            {
                output.WriteTable(
                    ["id", "task", "reason", "origin", "dead-lettered", "error"],
                    letters.Select(l => (IReadOnlyList<string?>)[l.Id, l.Task, l.Reason, l.Origin, CommandOutput.Time(l.DeadLetteredAt), Shorten(l.Exception)]));
            }

            if (total > letters.Count)
            {
                output.WriteNote($"Showing {letters.Count} of {total} dead letters (--limit).");
            }
            else if (letters.Count == 0 && !output.Json)
            {
                output.WriteNote("The dead-letter queue is empty.");
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateShow(CliContext context)
    {
        var id = new Argument<string>("id") { Description = "The dead letter's id (from `dead-letters list`)" };
        var command = new Command("show", "Show one dead letter in full: headers, error and body") { id };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var wanted = parseResult.GetRequiredValue(id);
            var output = context.Output(parseResult);
            await using var session = context.OpenSession(parseResult);
            var matches = (await session.Get<IDeadLetterQueue>().ListAsync(int.MaxValue, cancellationToken))
                .Where(DeadLetterSelector.ById(wanted).Matches).ToList();
            if (matches.Count == 0)
            {
                throw new CommandFailedException($"No dead letter has the id '{wanted}'.");
            }

            if (output.Json)
            {
                output.WriteJson(matches);
                return ExitCodes.Success;
            }

            foreach (var letter in matches)
            {
                output.WriteProperties(
                [
                    ("id", letter.Id),
                    ("task", letter.Task),
                    ("reason", letter.Reason),
                    ("origin", letter.Origin),
                    ("dead-lettered", CommandOutput.Time(letter.DeadLetteredAt)),
                    ("error", letter.Exception),
                    ("content type", letter.ContentType),
                    ("headers", string.Join('\n', letter.Headers.OrderBy(h => h.Key, StringComparer.Ordinal).Select(h => $"{h.Key}: {h.Value}"))),
                    ("body", letter.Body),
                ]);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command CreateSelective(CliContext context, string name, string description, bool discard)
    {
        var id = new Argument<string>("id") { Description = "The dead letter's id", Arity = ArgumentArity.ZeroOrOne };
        var reason = new Option<string>("--reason") { Description = "Every dead letter with this reason (e.g. not-registered)", HelpName = "reason" };
        var all = new Option<bool>("--all") { Description = "Every dead letter" };
        var yes = new Option<bool>("--yes", "-y") { Description = "Do not ask; required when standard input is not a terminal" };
        var command = new Command(name, description + " (by id, by --reason, or --all)") { id, reason, all };
        if (discard)
        {
            command.Options.Add(yes);
        }

        command.Validators.Add(result =>
        {
            var chosen = (result.GetValue(id) is null ? 0 : 1) + (result.GetValue(reason) is null ? 0 : 1) + (result.GetValue(all) ? 1 : 0);
            if (chosen != 1)
            {
                result.AddError("Name exactly one of: an id, --reason <reason>, --all.");
            }
        });
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            var selector = parseResult.GetValue(id) is { } wanted ? DeadLetterSelector.ById(wanted)
                : parseResult.GetValue(reason) is { } because ? DeadLetterSelector.ByReason(because)
                : DeadLetterSelector.All;
            var output = context.Output(parseResult);
            await using var session = context.OpenSession(parseResult);
            var queue = session.Get<IDeadLetterQueue>();
            var letters = await queue.ListAsync(int.MaxValue, cancellationToken);
            var selected = letters.Count(selector.Matches);
            if (selected == 0 && selector != DeadLetterSelector.All)
            {
                var reasons = string.Join(", ", letters.Select(l => l.Reason).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal));
                throw new CommandFailedException(selector.Id is not null
                    ? $"No dead letter has the id '{selector.Id}'."
                    : $"No dead letter has the reason '{selector.Reason}'" + (reasons.Length == 0 ? " (the queue is empty)." : $"; reasons there: {reasons}."));
            }

            if (discard && !await Confirmation.AskAsync(
                context.Console, parseResult.GetValue(yes), $"Delete {selected} dead letter(s) for good?", cancellationToken))
            {
                output.WriteNote("Nothing discarded.");
                return ExitCodes.Failed;
            }

            var done = discard ? await queue.DiscardAsync(selector, cancellationToken) : await queue.ReplayAsync(selector, cancellationToken);
            var verb = discard ? "discarded" : "replayed";
            if (output.Json)
            {
                output.WriteJson(new Dictionary<string, int> { ["selected"] = selected, [verb] = done });
            }
            else
            {
                output.WriteLine($"{char.ToUpperInvariant(verb[0])}{verb[1..]} {done} dead letter(s).");
            }

            if (!discard && done < selected)
            {
                // The broker had no queue for them (an event type nobody subscribes to yet): they stay dead-lettered.
                output.WriteNote($"{selected - done} could not be delivered (nothing is bound to receive them) and stay in the dead-letter queue.");
                return ExitCodes.Failed;
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static object Summary(DeadLetter letter) => new
    {
        letter.Id,
        letter.Task,
        letter.Reason,
        letter.Exception,
        letter.Origin,
        letter.DeadLetteredAt,
    };


    private static string? Shorten(string? text)
    {
        const int Width = 60;
        var line = text?.Split('\n')[0].Trim();
        return line is null || line.Length <= Width ? line : line[..(Width - 1)] + "…";
    }
}
