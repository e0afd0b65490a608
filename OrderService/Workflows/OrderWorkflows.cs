using Onboarding.Contracts.Tasks;
using Onboarding.OrderService.Application;
using Onboarding.TaskEngine.Canvas;
using Onboarding.TaskEngine.Workflows;

namespace Onboarding.OrderService.Workflows;

/// <summary>
/// The order workflows as canvases sent with <see cref="IWorkflowClient.ApplyAsync"/>. Every step is immutable and
/// carries its own <c>order_id</c> kwarg. validate_inventory reserves the stock and declares
/// <c>release_inventory</c> as its compensation: when a later step of the chain finally fails (a declined payment),
/// the engine runs the compensation with (failed task id, validate_inventory's result, order_id).
/// </summary>
internal sealed class OrderWorkflows(IWorkflowClient workflows) : IOrderWorkflows
{
    public const string Processing = "processing";
    public const string Fulfillment = "fulfillment";

    public async Task<WorkflowStarted> StartProcessingAsync(Order order, CancellationToken cancellationToken = default)
    {
        var steps = Steps(order);
        var canvas = Chain.Of(
            steps.Step(OrderTasks.ValidateInventory).WithCompensation(Compensation(OrderTasks.ReleaseInventory, order)),
            steps.Step(OrderTasks.CalculateShipping),
            steps.Step(OrderTasks.ProcessPayment),
            steps.Step(OrderTasks.SendConfirmation));
        var result = await workflows.ApplyAsync(canvas, cancellationToken).ConfigureAwait(false);
        return new WorkflowStarted(result.RootId, steps.TaskIds);
    }

    public async Task<WorkflowStarted> StartFulfillmentAsync(Order order, CancellationToken cancellationToken = default)
    {
        var steps = Steps(order);
        var canvas = Chord.Of(
            [
                steps.Step(OrderTasks.ReserveInventory),
                steps.Step(OrderTasks.CalculateTaxes),
                steps.Step(OrderTasks.ValidateShippingAddress),
                steps.Step(OrderTasks.CheckFraudScore),
            ],
            steps.Step(OrderTasks.FinalizeOrderPreparation));
        var result = await workflows.ApplyAsync(canvas, cancellationToken).ConfigureAwait(false);
        return new WorkflowStarted(result.RootId, steps.TaskIds);
    }

    private static WorkflowStepIds Steps(Order order) => new("order_id", order.Id);

    // A compensation is called with (failed_task_id, step_result) prepended to its own args: a kwarg keeps order_id apart.
    private static Signature Compensation(string task, Order order) =>
        new TaskSignature(task).WithKwarg("order_id", order.Id);
}
