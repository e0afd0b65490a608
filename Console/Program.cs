using Microsoft.Extensions.DependencyInjection.Extensions;
using Onboarding.Contracts;
using Onboarding.OperationsConsole;
using Onboarding.OperationsConsole.Actions;
using Onboarding.OperationsConsole.Apis;
using Onboarding.OperationsConsole.Fleet;
using Onboarding.OperationsConsole.Indexing;
using Onboarding.OperationsConsole.Security;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();

// A client of the engine (it sends retries and revokes, reads results and workflow trees) plus the operations API:
// Celery remote control and the event stream.
builder.AddTaskEngine("rabbitmq", "redis").WithDefaultRoutes(TaskRoutes.Seed).AddWorkerControl().AddPeriodicTaskBoard();

builder.Services.AddConsoleSecurity(builder.Configuration);
builder.Services.AddRazorPages(o =>
{
    o.Conventions.AuthorizeFolder("/");
    o.Conventions.AllowAnonymousToPage("/Login");
});
builder.Services.AddOpenApi();
builder.Services.AddProblemDetails();
builder.Services.TryAddSingleton(TimeProvider.System);
builder.Services.AddOptions<TaskIndexOptions>().Bind(builder.Configuration.GetSection("Console:Index"))
    .Validate(o => o.MaxTasks > 0 && o.BufferCapacity > 0 && o.TimeToLive > TimeSpan.Zero, "Console:Index needs a positive MaxTasks, BufferCapacity and TimeToLive.")
    .ValidateOnStart();
builder.Services.AddSingleton<TaskIndex>();
builder.Services.AddSingleton<IngestionStatus>();
builder.Services.AddSingleton<WorkerHeartbeats>();
builder.Services.AddSingleton<FleetInspector>();
builder.Services.AddSingleton<TaskActions>();
builder.Services.AddHostedService<EventIngestionService>();
builder.Services.AddConsoleOperations();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseStaticFiles();
app.UseAuthentication();
app.UseAuthorization();

app.MapOpenApi().RequireAuthorization();
app.MapRazorPages();
app.MapConsoleApi();
app.MapDefaultEndpoints();

app.Run();
