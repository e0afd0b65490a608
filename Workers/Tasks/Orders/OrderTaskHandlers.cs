using Onboarding.Contracts.Http;
using Onboarding.Contracts.Tasks;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.Workers.Clients;

namespace Onboarding.Workers.Tasks.Orders;

// The order tasks. Each reads and changes the order through OrderService's APIs; every call they make is
// idempotent (status moves to the current status are no-ops, reservations and payments are keyed by order id),
// so a redelivered or retried task has no second effect.

/// <summary>The order cannot continue (declined, out of stock, undeliverable, fraud); its status says why.</summary>
public sealed class OrderRejectedException(string orderId, string reason) : Exception($"Order {orderId} failed: {reason}")
{
    public string OrderId { get; } = orderId;

    public string Reason { get; } = reason;
}

/// <summary>The result the order tasks store.</summary>
public sealed record OrderStepResult(string OrderId, string Status, string? Detail = null);

internal static class OrderSteps
{
    /// <summary>
    /// Marks the order failed with the reason and stops the workflow. In the processing chain the reserved stock is
    /// released by validate_inventory's compensation (<c>release_inventory</c>), so a payment decline passes
    /// <paramref name="releaseStock"/> false; the fulfillment chord has no compensation and releases here.
    /// </summary>
    public static async Task<OrderRejectedException> RejectAsync(
        OrderServiceClient orders, string orderId, string reason, CancellationToken cancellationToken, bool releaseStock = true)
    {
        if (releaseStock)
        {
            await orders.ReleaseAsync(orderId, cancellationToken);
        }

        await orders.ChangeStatusAsync(orderId, OrderStatuses.Failed, reason, cancellationToken);
        return new OrderRejectedException(orderId, reason);
    }

    /// <summary>The order, unless it already failed (a workflow of a failed order stops).</summary>
    public static async Task<OrderResponse> GetLiveOrderAsync(OrderServiceClient orders, string orderId, CancellationToken cancellationToken)
    {
        var order = await orders.GetOrderAsync(orderId, cancellationToken);
        return order.Status is OrderStatuses.Failed or OrderStatuses.Expired
            ? throw new OrderRejectedException(orderId, order.FailureReason ?? order.Status)
            : order;
    }
}

/// <summary>
/// <c>validate_inventory</c>: checks the order's user where OrderService could not (UserService was unreachable when the
/// order was placed), moves the order to processing and reserves its stock (all items or none). An unknown user fails
/// the order with reason <c>unknown user</c> before any stock is taken; UserService still down is a transient error,
/// retried by the task's policy until it answers.
/// </summary>
internal sealed class ValidateInventoryHandler(OrderServiceClient orders, UserServiceClient users) : ITaskHandler<OrderTaskArgs>
{
    public async ValueTask<object?> HandleAsync(OrderTaskArgs args, TaskContext context, CancellationToken cancellationToken)
    {
        var order = await OrderSteps.GetLiveOrderAsync(orders, args.OrderId, cancellationToken);
        if (!order.UserVerified && !await UserExistsAsync(order.UserId, cancellationToken))
        {
            // Nothing is reserved yet: fail the order without a release.
            throw await OrderSteps.RejectAsync(orders, order.Id, OrderFailureReasons.UnknownUser, cancellationToken, releaseStock: false);
        }

        if (order.Status == OrderStatuses.Pending)
        {
            order = await orders.ChangeStatusAsync(order.Id, OrderStatuses.Processing, null, cancellationToken);
        }

        try
        {
            var reservation = await orders.ReserveAsync(order, cancellationToken);
            return new OrderStepResult(order.Id, order.Status, $"reserved {reservation.Items.Sum(i => i.Quantity)} unit(s)");
        }
        catch (ServiceRejectedException ex) when (ex.StatusCode == StatusCodes.Status409Conflict)
        {
            throw await OrderSteps.RejectAsync(orders, order.Id, "insufficient stock", cancellationToken);
        }
    }

    /// <summary>404 (no such user) and 400 (an id that cannot name one) mean unknown; 5xx and transport errors throw.</summary>
    private async Task<bool> UserExistsAsync(string userId, CancellationToken cancellationToken)
    {
        try
        {
            await users.GetUserAsync(userId, cancellationToken);
            return true;
        }
        catch (ResourceNotFoundException)
        {
            return false;
        }
        catch (ServiceRejectedException ex) when (ex.StatusCode == StatusCodes.Status400BadRequest)
        {
            return false;
        }
    }
}

/// <summary><c>calculate_shipping</c>: quotes shipping and records it on the order.</summary>
internal sealed class CalculateShippingHandler(OrderServiceClient orders) : ITaskHandler<OrderTaskArgs>
{
    public async ValueTask<object?> HandleAsync(OrderTaskArgs args, TaskContext context, CancellationToken cancellationToken)
    {
        var order = await OrderSteps.GetLiveOrderAsync(orders, args.OrderId, cancellationToken);
        var quote = await orders.QuoteShippingAsync(
            new ShippingQuoteRequest(order.ShippingAddress.Country, order.ShippingAddress.PostalCode, order.Items.Sum(i => i.Quantity)), cancellationToken);
        order = await orders.SetChargesAsync(order.Id, new OrderChargesRequest(quote.Amount, null, null, null), cancellationToken);
        return new OrderStepResult(order.Id, order.Status, $"{quote.Carrier} {quote.Amount}");
    }
}

/// <summary>
/// <c>process_payment</c>: charges the order's total. A decline fails the order with the reason and fails the task,
/// so the chain's compensation (<c>release_inventory</c>) releases the stock; a provider outage (503) is retried by the resilience handler, then by the task's retry policy.
/// </summary>
internal sealed class ProcessPaymentHandler(OrderServiceClient orders) : ITaskHandler<OrderTaskArgs>
{
    public async ValueTask<object?> HandleAsync(OrderTaskArgs args, TaskContext context, CancellationToken cancellationToken)
    {
        var order = await OrderSteps.GetLiveOrderAsync(orders, args.OrderId, cancellationToken);
        if (order.Status is OrderStatuses.Paid or OrderStatuses.Confirmed or OrderStatuses.ReadyToShip)
        {
            return new OrderStepResult(order.Id, order.Status, order.PaymentId);
        }

        var payment = await orders.ChargeAsync(new PaymentRequest(order.Id, order.Total, "USD", order.CardLast4), cancellationToken);
        if (payment.Status != PaymentStatuses.Approved)
        {
            throw await OrderSteps.RejectAsync(orders, order.Id, $"payment declined: {payment.DeclineCode} ({payment.Reason})", cancellationToken, releaseStock: false);
        }

        await orders.SetChargesAsync(order.Id, new OrderChargesRequest(null, null, payment.PaymentId, null), cancellationToken);
        order = await orders.ChangeStatusAsync(order.Id, OrderStatuses.Paid, null, cancellationToken);
        return new OrderStepResult(order.Id, order.Status, payment.PaymentId);
    }
}

/// <summary><c>send_confirmation</c>: confirms the order and sends <c>send_order_email</c> to the notification queue.</summary>
internal sealed class SendConfirmationHandler(OrderServiceClient orders, ITaskClient tasks) : ITaskHandler<OrderTaskArgs>
{
    public async ValueTask<object?> HandleAsync(OrderTaskArgs args, TaskContext context, CancellationToken cancellationToken)
    {
        var order = await OrderSteps.GetLiveOrderAsync(orders, args.OrderId, cancellationToken);
        order = await orders.ChangeStatusAsync(order.Id, OrderStatuses.Confirmed, null, cancellationToken);
        // One email task per order: a deterministic id, and NotificationService dedupes by task id.
        var email = await tasks.SendAsync(
            NotificationTasks.SendOrderEmail,
            new SendOrderEmailArgs(order.Id, order.CustomerEmail, "confirmation"),
            new TaskSendOptions { TaskId = $"{order.Id}-confirmation-email", ParentId = context.Id, RootId = context.RootId },
            cancellationToken);
        return new OrderStepResult(order.Id, order.Status, email.Id);
    }
}

/// <summary><c>reserve_inventory</c> (fulfillment): the order's reservation, made now or earlier.</summary>
internal sealed class ReserveInventoryHandler(OrderServiceClient orders) : ITaskHandler<OrderTaskArgs>
{
    public async ValueTask<object?> HandleAsync(OrderTaskArgs args, TaskContext context, CancellationToken cancellationToken)
    {
        var order = await OrderSteps.GetLiveOrderAsync(orders, args.OrderId, cancellationToken);
        try
        {
            var reservation = await orders.ReserveAsync(order, cancellationToken);
            return new OrderStepResult(order.Id, order.Status, reservation.Status);
        }
        catch (ServiceRejectedException ex) when (ex.StatusCode == StatusCodes.Status409Conflict)
        {
            throw await OrderSteps.RejectAsync(orders, order.Id, "insufficient stock", cancellationToken);
        }
    }
}

/// <summary><c>calculate_taxes</c>: taxes for the destination, recorded on the order.</summary>
internal sealed class CalculateTaxesHandler(OrderServiceClient orders) : ITaskHandler<OrderTaskArgs>
{
    public async ValueTask<object?> HandleAsync(OrderTaskArgs args, TaskContext context, CancellationToken cancellationToken)
    {
        var order = await OrderSteps.GetLiveOrderAsync(orders, args.OrderId, cancellationToken);
        var tax = await orders.CalculateTaxAsync(new TaxRequest(order.ShippingAddress.Country, order.Subtotal), cancellationToken);
        order = await orders.SetChargesAsync(order.Id, new OrderChargesRequest(null, tax.Amount, null, null), cancellationToken);
        return new OrderStepResult(order.Id, order.Status, $"{tax.Rate:P2} = {tax.Amount}");
    }
}

/// <summary><c>validate_shipping_address</c>: an undeliverable address fails the order.</summary>
internal sealed class ValidateShippingAddressHandler(OrderServiceClient orders) : ITaskHandler<OrderTaskArgs>
{
    public async ValueTask<object?> HandleAsync(OrderTaskArgs args, TaskContext context, CancellationToken cancellationToken)
    {
        var order = await OrderSteps.GetLiveOrderAsync(orders, args.OrderId, cancellationToken);
        var check = await orders.ValidateAddressAsync(order.ShippingAddress, cancellationToken);
        return check.Valid
            ? new OrderStepResult(order.Id, order.Status, "address valid")
            : throw await OrderSteps.RejectAsync(orders, order.Id, "undeliverable address: " + string.Join(' ', check.Problems), cancellationToken);
    }
}

/// <summary><c>check_fraud_score</c>: records the score; a score at or above the threshold fails the order.</summary>
internal sealed class CheckFraudScoreHandler(OrderServiceClient orders) : ITaskHandler<OrderTaskArgs>
{
    public async ValueTask<object?> HandleAsync(OrderTaskArgs args, TaskContext context, CancellationToken cancellationToken)
    {
        var order = await OrderSteps.GetLiveOrderAsync(orders, args.OrderId, cancellationToken);
        var score = await orders.ScoreFraudAsync(order.Id, cancellationToken);
        await orders.SetChargesAsync(order.Id, new OrderChargesRequest(null, null, null, score.Score), cancellationToken);
        return score.Approved
            ? new OrderStepResult(order.Id, order.Status, $"fraud score {score.Score}")
            : throw await OrderSteps.RejectAsync(orders, order.Id, $"fraud score {score.Score} too high", cancellationToken);
    }
}

/// <summary><c>finalize_order_preparation</c>: the chord's body; the order is ready to ship.</summary>
internal sealed class FinalizeOrderPreparationHandler(OrderServiceClient orders) : ITaskHandler<OrderTaskArgs>
{
    public async ValueTask<object?> HandleAsync(OrderTaskArgs args, TaskContext context, CancellationToken cancellationToken)
    {
        var order = await OrderSteps.GetLiveOrderAsync(orders, args.OrderId, cancellationToken);
        order = await orders.ChangeStatusAsync(order.Id, OrderStatuses.ReadyToShip, null, cancellationToken);
        return new OrderStepResult(order.Id, order.Status);
    }
}

/// <summary>
/// <c>release_inventory</c>: validate_inventory's compensation; returns the order's reserved stock (idempotent). The
/// engine calls it with (failed task id, validate_inventory's result) before its own <c>order_id</c> kwarg.
/// </summary>
internal sealed class ReleaseInventoryHandler(OrderServiceClient orders) : ITaskHandler<ReleaseInventoryArgs>
{
    public async ValueTask<object?> HandleAsync(ReleaseInventoryArgs args, TaskContext context, CancellationToken cancellationToken)
    {
        await orders.ReleaseAsync(args.OrderId, cancellationToken);
        return new OrderStepResult(args.OrderId, "released");
    }
}
