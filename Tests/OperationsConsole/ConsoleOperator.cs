using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Onboarding.TaskEngine.Abstractions;

namespace Onboarding.Tests.OperationsConsole;

/// <summary>
/// What the queue, dead-letter and schedule tests act with: a signed-in console client that sends its antiforgery
/// token on every POST, and a task client on the application's broker and Redis (it sends task-sent events, as the
/// services do).
/// </summary>
internal sealed class ConsoleOperator : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly string _headerName;
    private readonly string _token;

    private ConsoleOperator(HttpClient http, IHost host, string headerName, string token)
    {
        Http = http;
        _host = host;
        _headerName = headerName;
        _token = token;
    }

    public HttpClient Http { get; }

    public ITaskClient Tasks => _host.Services.GetRequiredService<ITaskClient>();

    public static async Task<ConsoleOperator> StartAsync(DistributedApplication app, CancellationToken cancellationToken)
    {
        var http = await ConsoleAccess.SignedInClientAsync(app, cancellationToken);
        var token = await http.GetFromJsonAsync<JsonElement>(new Uri("/api/antiforgery", UriKind.Relative), cancellationToken);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:rabbitmq"] = await app.GetConnectionStringAsync("rabbitmq", cancellationToken),
            ["ConnectionStrings:redis"] = await app.GetConnectionStringAsync("redis", cancellationToken),
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddTaskEngine(configure: o => o.SendSentEvents = true);
        var host = builder.Build();
        await host.StartAsync(cancellationToken);
        return new ConsoleOperator(http, host, token.GetProperty("headerName").GetString()!, token.GetProperty("token").GetString()!);
    }

    /// <summary>POSTs an action as an API client does: the session's antiforgery token in its header, fields in the query.</summary>
    public async Task<HttpResponseMessage> PostAsync(string path, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative));
        request.Headers.Add(_headerName, _token);
        return await Http.SendAsync(request, cancellationToken);
    }

    public async Task<JsonElement> GetAsync(string path, CancellationToken cancellationToken) =>
        await Http.GetFromJsonAsync<JsonElement>(new Uri(path, UriKind.Relative), cancellationToken);

    /// <summary>Sends tasks no worker registers to the <c>default</c> queue: its worker dead-letters each (<c>not-registered</c>).</summary>
    public async Task<IReadOnlyList<string>> SendUnregisteredAsync(int count, CancellationToken cancellationToken)
    {
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var sent = await Tasks.SendAsync("console_tests.no_such_task", [JsonSerializer.SerializeToElement(i)],
                options: new TaskSendOptions { Queue = "default" }, cancellationToken: cancellationToken);
            ids.Add(sent.Id);
        }

        return ids;
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync(CancellationToken.None);
        _host.Dispose();
        Http.Dispose();
    }
}
