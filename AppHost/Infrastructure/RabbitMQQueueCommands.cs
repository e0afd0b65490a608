using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using RabbitMQ.Client;
using Onboarding.AppHost.Infrastructure;
using RabbitMQ.Client.Exceptions;

namespace Aspire.Hosting;

/// <summary>Dashboard commands on the broker: list queues with their message counts, purge one queue.</summary>
internal static class RabbitMQQueueCommands
{
    public const string ListQueuesCommandName = "list-queues";
    public const string PurgeQueueCommandName = "purge-queue";
    public const string QueueArgumentName = "queue";

    public static IResourceBuilder<T> WithQueueCommands<T>(this IResourceBuilder<T> builder, string rabbitMQCtlPath)
        where T : IResourceWithConnectionString
    {
        var resource = builder.Resource;

        builder.WithCommand(
            ListQueuesCommandName,
            "List queues",
            async context =>
            {
                try
                {
                    var table = await ListQueuesAsync(resource, rabbitMQCtlPath, context.CancellationToken);
                    return CommandResults.Success("Queues listed", table, CommandResultFormat.Text);
                }
                catch (Exception ex) when (ex is InvalidOperationException or HttpRequestException or IOException)
                {
                    return CommandResults.Failure(ex.Message);
                }
            },
            new CommandOptions
            {
                Description = "Lists every queue with its ready and unacknowledged message counts and consumers.",
                IconName = "List",
                UpdateState = RunningOnly,
            });

        builder.WithCommand(
            PurgeQueueCommandName,
            "Purge queue",
            async context =>
            {
                var queue = context.Arguments.GetString(QueueArgumentName);
                if (string.IsNullOrWhiteSpace(queue))
                {
                    return CommandResults.Failure("Name the queue to purge.");
                }

                try
                {
                    var purged = await PurgeAsync(resource, queue, context.CancellationToken);
                    return CommandResults.Success($"Purged {purged} messages from '{queue}'.");
                }
                catch (OperationInterruptedException ex)
                {
                    return CommandResults.Failure($"Could not purge '{queue}': {ex.ShutdownReason?.ReplyText ?? ex.Message}");
                }
            },
            new CommandOptions
            {
                Description = "Deletes every ready message of one queue. Messages being processed are not touched.",
                IconName = "Delete",
                ConfirmationMessage = "Purge the queue? Its ready messages are deleted for good.",
                Arguments =
                [
                    new InteractionInput
                    {
                        Name = QueueArgumentName,
                        Label = "Queue",
                        InputType = InputType.Text,
                        Required = true,
                        Placeholder = "user_queue",
                    },
                ],
                UpdateState = RunningOnly,
            });

        return builder;
    }

    private static ResourceCommandState RunningOnly(UpdateCommandStateContext context) =>
        context.ResourceSnapshot.State?.Text == KnownResourceStates.Running
            ? ResourceCommandState.Enabled
            : ResourceCommandState.Disabled;

    private static async Task<uint> PurgeAsync(IResourceWithConnectionString resource, string queue, CancellationToken cancellationToken)
    {
        // A cluster's queue is reachable through any node that is up.
        IReadOnlyList<IResourceWithConnectionString> nodes = resource is RabbitMQClusterResource cluster ? cluster.Nodes : [resource];
        var uris = new List<Uri>();
        foreach (var node in nodes)
        {
            uris.Add(new Uri((await node.ConnectionStringExpression.GetValueAsync(cancellationToken))!));
        }

        var factory = new ConnectionFactory { Uri = uris[0] };
        await using var connection = await factory.CreateConnectionAsync(uris.Select(uri => new AmqpTcpEndpoint(uri)).ToList(), "apphost-purge", cancellationToken);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        return await channel.QueuePurgeAsync(queue, cancellationToken);
    }

    private static Task<string> ListQueuesAsync(IResource resource, string rabbitMQCtlPath, CancellationToken cancellationToken) =>
        resource switch
        {
            RabbitMQExecutableResource executable => ListWithRabbitMQCtlAsync(executable, rabbitMQCtlPath, cancellationToken),
            RabbitMQServerResource container => ListWithManagementApiAsync(container, cancellationToken),
            RabbitMQClusterResource cluster => ListOnAnyNodeAsync(cluster, rabbitMQCtlPath, cancellationToken),
            _ => throw new InvalidOperationException($"Listing queues is not supported for {resource.GetType().Name}."),
        };

    // Every node lists the whole cluster's queues; the first that answers does.
    private static async Task<string> ListOnAnyNodeAsync(RabbitMQClusterResource cluster, string rabbitMQCtlPath, CancellationToken cancellationToken)
    {
        var failures = new List<string>();
        foreach (var node in cluster.Nodes)
        {
            try
            {
                return await ListQueuesAsync(node, rabbitMQCtlPath, cancellationToken);
            }
            catch (Exception ex) when (ex is InvalidOperationException or HttpRequestException or IOException)
            {
                failures.Add($"{node.Name}: {ex.Message}");
            }
        }

        throw new InvalidOperationException("No node answered. " + string.Join(" ", failures));
    }

    private static async Task<string> ListWithRabbitMQCtlAsync(
        RabbitMQExecutableResource resource, string rabbitMQCtlPath, CancellationToken cancellationToken)
    {
        var output = await RabbitMQCtl.RunAsync(
            rabbitMQCtlPath, resource, ["list_queues", "--quiet", "name", "messages_ready", "messages_unacknowledged", "consumers"], cancellationToken);
        var rows = output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('\t'))
            .Where(columns => columns.Length == 4 && columns[0] != "name");
        return FormatTable(rows);
    }

    private static async Task<string> ListWithManagementApiAsync(RabbitMQServerResource resource, CancellationToken cancellationToken)
    {
        var management = resource.GetEndpoint("management");
        if (!management.Exists)
        {
            throw new InvalidOperationException("The management plugin is off; listing queues needs it.");
        }

        var password = await resource.PasswordParameter.GetValueAsync(cancellationToken);
        var userName = resource.UserNameParameter is { } user ? await user.GetValueAsync(cancellationToken) : "guest";
        using var http = new HttpClient { BaseAddress = new Uri(management.Url) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{userName}:{password}")));
        using var document = JsonDocument.Parse(await http.GetStringAsync("/api/queues?columns=name,messages_ready,messages_unacknowledged,consumers", cancellationToken));
        var rows = document.RootElement.EnumerateArray().Select(queue => new[]
        {
            queue.GetProperty("name").GetString() ?? string.Empty,
            Count(queue, "messages_ready"),
            Count(queue, "messages_unacknowledged"),
            Count(queue, "consumers"),
        });
        return FormatTable(rows);

        static string Count(JsonElement queue, string name) =>
            queue.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetRawText() : "0";
    }

    internal static string FormatTable(IEnumerable<string[]> rows)
    {
        var sorted = rows.OrderBy(r => r[0], StringComparer.Ordinal).ToList();
        if (sorted.Count == 0)
        {
            return "No queues.";
        }

        var builder = new StringBuilder();
        builder.AppendLine("queue\tready\tunacked\tconsumers");
        foreach (var row in sorted)
        {
            builder.AppendLine(string.Join('\t', row));
        }

        return builder.ToString();
    }
}
