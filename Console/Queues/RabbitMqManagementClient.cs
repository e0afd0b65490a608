using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Onboarding.OperationsConsole.Queues;

/// <summary>
/// RabbitMQ's management HTTP API, when <c>Console:RabbitMQManagement</c> gives its address. It signs in with the user
/// and password of the AMQP connection string (<c>ConnectionStrings:rabbitmq</c>) and reads the queues of that
/// connection's virtual host.
/// </summary>
public sealed class RabbitMqManagementClient(HttpClient http, IConfiguration configuration)
{
    private readonly Uri? _baseAddress = Uri.TryCreate(configuration["Console:RabbitMQManagement"], UriKind.Absolute, out var uri) ? uri : null;
    private readonly Uri? _amqp = Uri.TryCreate(configuration.GetConnectionString("rabbitmq"), UriKind.Absolute, out var amqp) ? amqp : null;

    public bool IsConfigured => _baseAddress is not null && _amqp is not null;

    public async Task<IReadOnlyList<QueueRow>> GetQueuesAsync(Func<string, string> kind, CancellationToken cancellationToken)
    {
        if (_baseAddress is null || _amqp is null)
        {
            throw new InvalidOperationException("Console:RabbitMQManagement and ConnectionStrings:rabbitmq are both needed.");
        }

        // An empty path is the default virtual host "/", which the API spells %2F.
        var vhost = _amqp.AbsolutePath.Length > 1 ? Uri.UnescapeDataString(_amqp.AbsolutePath[1..]) : "/";
        var address = new Uri(_baseAddress, $"api/queues/{Uri.EscapeDataString(vhost)}?columns=name,messages_ready,messages_unacknowledged,consumers,message_stats");
        using var request = new HttpRequestMessage(HttpMethod.Get, address);
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.UnescapeDataString(_amqp.UserInfo))));
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        using var document = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false),
            cancellationToken: cancellationToken).ConfigureAwait(false);
        return [.. document.RootElement.EnumerateArray().Select(queue =>
        {
            var name = queue.GetProperty("name").GetString() ?? string.Empty;
            // A queue's counters appear a few seconds after it is declared, its rates after its first message.
            var stats = queue.TryGetProperty("message_stats", out var s) && s.ValueKind == JsonValueKind.Object ? s : default;
            return new QueueRow(name, Count(queue, "messages_ready"), Count(queue, "messages_unacknowledged"), Count(queue, "consumers"),
                Rate(stats, "publish_details") ?? 0, Rate(stats, "deliver_get_details") ?? 0, kind(name));
        })];
    }

    private static long Count(JsonElement queue, string name) =>
        queue.TryGetProperty(name, out var value) && value.TryGetInt64(out var count) ? count : 0;

    private static double? Rate(JsonElement stats, string name) =>
        stats.ValueKind == JsonValueKind.Object && stats.TryGetProperty(name, out var details)
            && details.TryGetProperty("rate", out var rate) && rate.TryGetDouble(out var value)
            ? value
            : null;
}
