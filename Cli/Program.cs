using Onboarding.Cli;

// The first Ctrl+C asks the command to stop (events ends its stream, a wait gives up); a second one kills the process.
using var interrupt = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = !interrupt.IsCancellationRequested;
    interrupt.Cancel();
};

return await OnboardingCommandLine.RunAsync(args, CliConsole.FromProcess(), interrupt.Token);
