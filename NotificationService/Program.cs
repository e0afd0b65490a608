using Onboarding.Contracts.Events;
using Onboarding.NotificationService.Apis;
using Onboarding.NotificationService.Application;
using Onboarding.NotificationService.EventHandlers;
using Onboarding.NotificationService.Infrastructure;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();

// The engine adds the Aspire RabbitMQ and Redis clients ("rabbitmq", "redis"), whose health checks /health reports;
// this service sends tasks (batch sends) and reads their results (no worker), and subscribes to the user events.
builder.AddTaskEngine("rabbitmq", "redis")
    .AddEventHandler<UserCreated, UserCreatedHandler>(UserEventTypes.Created)
    .AddEventHandler<UserPasswordChanged, PasswordChangedHandler>(UserEventTypes.PasswordChanged)
    .AddEventHandler<UserDeleted, UserDeletedHandler>(UserEventTypes.Deleted);

builder.Services.AddProblemDetails();
builder.Services.AddOpenApi();
// Malformed JSON and unbindable parameters answer 400 (as problem details, through the status-code pages) in
// every environment instead of throwing in Development.
builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = false);

builder.Services.AddOptions<SmtpOptions>().BindConfiguration(SmtpOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
builder.Services.AddSingleton<EmailSender>();
builder.Services.AddSingleton<RedisNotificationStore>();
builder.Services.AddSingleton<NotificationSender>();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();

app.MapOpenApi();
app.MapNotificationsApi();
app.MapDefaultEndpoints();

app.Run();
