using Onboarding.Contracts.Events;
using Onboarding.Contracts;
using Onboarding.NotificationService.Apis;
using Onboarding.NotificationService.Application;
using Onboarding.NotificationService.EventHandlers;
using Onboarding.NotificationService.Infrastructure;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();

// The engine adds the Aspire RabbitMQ and Redis clients ("rabbitmq", "redis"), whose health checks /health reports;
// this service sends tasks (batch sends) and reads their results (no worker), and subscribes to the user events.
builder.AddTaskEngine("rabbitmq", "redis")
    .WithDefaultRoutes(TaskRoutes.Seed)
    .AddEventHandler<UserCreated, UserCreatedHandler>(UserEventTypes.Created)
    .AddEventHandler<UserPasswordChanged, PasswordChangedHandler>(UserEventTypes.PasswordChanged)
    .AddEventHandler<UserDeleted, UserDeletedHandler>(UserEventTypes.Deleted);

// Problem details for every error, JSON errors naming the field, ids checked, the OpenAPI document (ServiceDefaults).
builder.AddHttpApiDefaults();

builder.Services.AddOptions<SmtpOptions>().BindConfiguration(SmtpOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
builder.Services.AddSingleton<EmailSender>();
builder.Services.AddSingleton<RedisNotificationStore>();
builder.Services.AddSingleton<NotificationSender>();

var app = builder.Build();

app.UseHttpApiDefaults();
app.MapNotificationsApi();
app.MapDefaultEndpoints();

app.Run();
