using Onboarding.Contracts.Http;
using Onboarding.Contracts.Tasks;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.Workers.Clients;

namespace Onboarding.Workers.Tasks.Notifications;

// The notification tasks send through NotificationService's API with the task id as idempotency key, so a
// redelivered or retried task sends nothing twice.

/// <summary><c>send_email</c>: one email.</summary>
internal sealed class SendEmailHandler(NotificationServiceClient notifications) : ITaskHandler<SendEmailArgs>
{
    public async ValueTask<object?> HandleAsync(SendEmailArgs args, TaskContext context, CancellationToken cancellationToken)
    {
        var sent = await notifications.SendEmailAsync(new SendEmailRequest(args.Recipient, args.Subject, args.Body, args.Category, context.Id), cancellationToken);
        return new { notification_id = sent.Id, status = sent.Status };
    }
}

/// <summary><c>send_order_email</c>: an order email (confirmation, ...) composed from the order.</summary>
internal sealed class SendOrderEmailHandler(OrderServiceClient orders, NotificationServiceClient notifications) : ITaskHandler<SendOrderEmailArgs>
{
    public async ValueTask<object?> HandleAsync(SendOrderEmailArgs args, TaskContext context, CancellationToken cancellationToken)
    {
        OrderResponse order;
        try
        {
            order = await orders.GetOrderAsync(args.OrderId, cancellationToken);
        }
        catch (ResourceNotFoundException)
        {
            // The order is gone (its user was deleted while this email waited): there is nothing to tell anyone.
            return new { notification_id = (string?)null, status = NotificationStatuses.Skipped };
        }

        var lines = string.Join('\n', order.Items.Select(i => $"  {i.Quantity} x {i.Name} @ {i.UnitPrice}"));
        var sent = await notifications.SendEmailAsync(new SendEmailRequest(
            args.Recipient,
            $"Your order {order.Id}: {args.Kind}",
            $"Order {order.Id} is {order.Status}.\n{lines}\nTotal: {order.Total}",
            "orders",
            context.Id,
            order.UserId), cancellationToken);
        return new { notification_id = sent.Id, status = sent.Status };
    }
}

/// <summary><c>send_mass_mail</c>: one email to each recipient (the seed's batch send).</summary>
internal sealed class SendMassMailHandler(NotificationServiceClient notifications) : ITaskHandler<SendMassMailArgs>
{
    public async ValueTask<object?> HandleAsync(SendMassMailArgs args, TaskContext context, CancellationToken cancellationToken)
    {
        var statuses = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var recipient in args.Recipients)
        {
            var sent = await notifications.SendEmailAsync(
                new SendEmailRequest(recipient, args.Subject, args.Body, "marketing", $"{context.Id}:{recipient}"), cancellationToken);
            statuses[sent.Status] = statuses.GetValueOrDefault(sent.Status) + 1;
        }

        return new { recipients = args.Recipients.Count, statuses };
    }
}
