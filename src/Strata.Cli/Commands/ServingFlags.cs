using System.CommandLine;
using Strata.Serving.Hosting;
using Strata.Serving.Python;

namespace Strata.Cli.Commands;

/// <summary>
/// The serving knobs that <c>strata models serve</c> and <c>strata server --serve-model</c> both take: request timeout,
/// micro-batching, prediction log sampling and flushing, and how often an alias or stage is re-resolved.
/// </summary>
internal sealed class ServingFlags
{
    private readonly Option<bool?> _batching = new("--enable-batching")
    {
        Description = "Join concurrent requests into one model call (true/false; default on for python_function models, off for the others).",
        Arity = ArgumentArity.ZeroOrOne,
    };

    private readonly Option<int?> _maxBatch = new("--max-batch-size") { Description = "Most rows in one model call (default 64; 512 for python_function models)." };
    private readonly Option<int?> _maxDelay = new("--max-batch-delay-ms") { Description = "Longest a request waits for a batch to fill, in ms (default 2)." };
    private readonly Option<double?> _sample = new("--log-sample-rate") { Description = "Fraction of requests written to the prediction log, 0 to 1 (default 1)." };
    private readonly Option<int?> _flush = new("--log-flush-interval-ms") { Description = "How long the prediction log writer lets entries gather between writes, in ms (default 20; 0 writes at once)." };
    private readonly Option<int?> _poll = new("--poll-interval-seconds") { Description = "How often an alias or stage is re-resolved (default 30)." };
    private readonly Option<double?> _timeout = new("--timeout", "-t") { Description = $"Seconds one request may take before it is answered 504 (default env {ServingOptions.RequestTimeoutVariable}, else 60)." };

    private readonly Option<int?> _deploymentPoll = new("--deployment-poll-interval-ms") { Description = "How often deployments' revisions are re-read, in ms (default 2000)." };

    private readonly Option<string?> _python = new("--python") { Description = "The Python interpreter that runs python_function models (default python3 on PATH); point it at a virtualenv's or conda env's python to use its packages." };
    private readonly Option<int?> _workers = new("--workers") { Description = "Python worker processes per python_function model (default the core count)." };
    private readonly Option<string?> _envManager = new("--env-manager") { Description = "How the model's Python environment is provided; only 'local' (the --python interpreter as it is, MLflow's --env-manager local)." };
    private readonly Option<bool> _usePython = new("--use-python-worker") { Description = "Serve through the python_function flavor even when the model also has a flavor Strata runs natively (mlnet, onnx)." };

    public IEnumerable<Option> All => [_batching, _maxBatch, _maxDelay, _sample, _flush, _poll, _timeout, _deploymentPoll, _python, _workers, _envManager, _usePython];

    /// <summary>
    /// <paramref name="options"/> with every flag given on the command line applied; the timeout falls back to MLflow's
    /// environment variable. Throws <see cref="ArgumentException"/> naming a bad flag.
    /// </summary>
    public ServingOptions Apply(ServingOptions options, ParseResult parse, Func<string, string?> getVariable)
    {
        var timeout = parse.GetValue(_timeout) is { } limit
            ? limit > 0 && limit <= int.MaxValue / 1000.0
                ? TimeSpan.FromSeconds(limit)
                : throw new ArgumentException($"--timeout must be a positive number of seconds, got {limit}.")
            : ServingOptions.ParseRequestTimeout(getVariable(ServingOptions.RequestTimeoutVariable));
        var applied = options with
        {
            RequestTimeout = timeout,
            PollInterval = parse.GetValue(_poll) is { } seconds ? TimeSpan.FromSeconds(seconds) : options.PollInterval,
            DeploymentPollInterval = parse.GetValue(_deploymentPoll) is { } pollMs ? TimeSpan.FromMilliseconds(pollMs) : options.DeploymentPollInterval,
            Batching = options.Batching with
            {
                // The bare flag means on; --enable-batching false turns batching off for Python models too.
                Enabled = parse.GetResult(_batching) is { } given ? given.Tokens.Count == 0 || parse.GetValue(_batching) == true : options.Batching.Enabled,
                MaxBatchSize = parse.GetValue(_maxBatch) ?? options.Batching.MaxBatchSize,
                MaxDelay = parse.GetValue(_maxDelay) is { } ms ? TimeSpan.FromMilliseconds(ms) : options.Batching.MaxDelay,
            },
            PredictionLog = options.PredictionLog with
            {
                SampleRate = parse.GetValue(_sample) ?? options.PredictionLog.SampleRate,
                FlushInterval = parse.GetValue(_flush) is { } flush ? TimeSpan.FromMilliseconds(flush) : options.PredictionLog.FlushInterval,
            },
            Python = options.Python with
            {
                Python = parse.GetValue(_python) ?? options.Python.Python,
                Workers = parse.GetValue(_workers) ?? options.Python.Workers,
                EnvManager = parse.GetValue(_envManager) ?? options.Python.EnvManager,
                PreferPythonFunction = parse.GetValue(_usePython) || options.Python.PreferPythonFunction,
            },
        };
        // The rest (models, tracking server) is checked where it is filled in; a tuning flag is wrong on its own.
        if (applied.PollInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException("--poll-interval-seconds must be positive.");
        }

        if (applied.DeploymentPollInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException("--deployment-poll-interval-ms must be positive.");
        }

        applied.Batching.Validate();
        applied.PredictionLog.Validate();
        applied.Python.Validate();
        return applied;
    }
}
