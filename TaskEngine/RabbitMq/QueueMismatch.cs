using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Topology;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Onboarding.TaskEngine.RabbitMq;

/// <summary>
/// Turns the broker's PRECONDITION_FAILED on a queue declaration into an error that names the queue, the type the
/// engine declares and the type the queue has, and every argument that differs.
/// </summary>
/// <remarks>
/// The broker names only the first argument it finds different, and checks <c>x-queue-type</c> late: a quorum
/// declaration of a classic queue fails on <c>x-dead-letter-exchange</c> first. AMQP has no way to read a queue's
/// arguments, so this asks again with that one argument as the broker says it is, until the declaration passes (an
/// equivalent declaration changes nothing) or the broker names <c>x-queue-type</c>. Each attempt is on a channel of
/// its own, since a refused declaration closes its channel.
/// </remarks>
internal static partial class QueueMismatch
{
    public const ushort PreconditionFailed = 406;
    private const int MaxProbes = 16;

    /// <summary>One argument the broker found different: its name, what it received and what the queue has (null: none).</summary>
    internal sealed record Difference(string Argument, string? Received, string? Current, string? CurrentType);

    public static bool IsMismatch(Exception exception) =>
        exception is OperationInterruptedException { ShutdownReason.ReplyCode: PreconditionFailed };

    /// <summary>Reads the broker's reply text ("inequivalent arg 'x' for queue 'q' …: received … but current is …").</summary>
    internal static Difference? Parse(string replyText)
    {
        var match = InequivalentArgument().Match(replyText);
        if (!match.Success)
        {
            return null;
        }

        var (received, _) = Value(match.Groups["received"].Value);
        var (current, currentType) = Value(match.Groups["current"].Value);
        return new Difference(match.Groups["argument"].Value, received, current, currentType);
    }

    /// <summary>Finds out how the existing queue differs and builds the error to throw instead of the broker's.</summary>
    public static async Task<QueueMismatchException> DescribeAsync(
        IConnection connection, string queue, IDictionary<string, object?>? arguments, OperationInterruptedException refusal)
    {
        var declaredType = QueueArguments.TypeOf(arguments);
        var probe = new Dictionary<string, object?>(arguments ?? new Dictionary<string, object?>(), StringComparer.Ordinal);
        var differences = new List<Difference>();
        string? existingType = null;
        var reply = refusal.ShutdownReason?.ReplyText ?? refusal.Message;
        for (var attempt = 0; attempt < MaxProbes && existingType is null; attempt++)
        {
            if (Parse(reply) is not { } difference || differences.Exists(d => d.Argument == difference.Argument))
            {
                break;
            }

            differences.Add(difference);
            if (difference.Argument == QueueArguments.QueueTypeArgument)
            {
                existingType = difference.Current ?? QueueArguments.Classic;
                break;
            }

            if (!TrySetCurrent(probe, difference))
            {
                break;
            }

            try
            {
                await using var channel = await connection.CreateChannelAsync().ConfigureAwait(false);
                await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, probe).ConfigureAwait(false);
                // Equivalent now: the type never differed, only the arguments found so far.
                existingType = declaredType;
            }
            catch (OperationInterruptedException next) when (IsMismatch(next))
            {
                reply = next.ShutdownReason?.ReplyText ?? next.Message;
            }
        }

        return new QueueMismatchException(queue, declaredType, existingType ?? "unknown", Message(queue, declaredType, existingType, differences, refusal), refusal);
    }

    private static string Message(string queue, string declaredType, string? existingType, List<Difference> differences, Exception refusal)
    {
        var text = new StringBuilder();
        if (existingType is not null && existingType != declaredType)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"Queue '{queue}' exists on the broker as a {existingType} queue, but this engine declares it as a {declaredType} queue ")
                .Append(CultureInfo.InvariantCulture, $"(TaskEngine:QueueType, or TaskEngine:Queues:{queue}:Type). ")
                .Append("RabbitMQ cannot change a queue's type: set the type back, or move the queue's messages elsewhere, ")
                .Append("delete it and start again so that it is declared anew.");
        }
        else
        {
            text.Append(CultureInfo.InvariantCulture,
                $"Queue '{queue}' exists on the broker with other arguments than this engine declares ({declaredType} queue")
                .Append(existingType is null ? ", existing type not found out" : string.Empty)
                .Append("). Every declarer of a queue (services, workers, Python clients) must send the same arguments.");
        }

        foreach (var difference in differences.Where(d => d.Argument != QueueArguments.QueueTypeArgument))
        {
            text.Append(CultureInfo.InvariantCulture,
                $" {difference.Argument}: declared {difference.Received ?? "none"}, on the broker {difference.Current ?? "none"}.");
        }

        return text.Append(" The broker said: ").Append(refusal.Message).ToString();
    }

    // The argument as the queue has it, typed as the broker says (or as ours when it gave no type).
    private static bool TrySetCurrent(Dictionary<string, object?> probe, Difference difference)
    {
        if (difference.Current is null)
        {
            return probe.Remove(difference.Argument);
        }

        var type = difference.CurrentType ?? probe.GetValueOrDefault(difference.Argument) switch
        {
            string => "longstr",
            int or long or short or byte => "long",
            bool => "bool",
            _ => null,
        };
        object? value = type switch
        {
            "longstr" => difference.Current,
            "bool" => difference.Current == "true",
            "long" or "signedint" or "short" or "byte" or "unsignedbyte" or "unsignedshort" or "unsignedint"
                when long.TryParse(difference.Current, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) => number,
            _ => null,
        };
        if (value is null)
        {
            return false;
        }

        probe[difference.Argument] = value;
        return true;
    }

    // "none", "the value 'x' of type 't'" or "'x'" (the same type class as the other side).
    private static (string? Value, string? Type) Value(string text)
    {
        if (text == "none")
        {
            return (null, null);
        }

        var typed = TypedValue().Match(text);
        return typed.Success ? (typed.Groups["value"].Value, typed.Groups["type"].Value) : (text.Trim('\''), null);
    }

    [GeneratedRegex(@"inequivalent arg '(?<argument>[^']+)' for .*?: received (?<received>none|the value '.*?' of type '\w+'|'.*?') but current is (?<current>none|the value '.*' of type '\w+'|'.*')\s*$")]
    private static partial Regex InequivalentArgument();

    [GeneratedRegex(@"^the value '(?<value>.*)' of type '(?<type>\w+)'$")]
    private static partial Regex TypedValue();
}
