namespace Runai.Core.Scheduling;

/// <summary>
/// Each project's fair share of the cluster's GPUs: its quota (up to what it asks for), then the rest divided by
/// <c>overQuotaWeight</c> among projects that ask for more, never past a project's limit or demand (water filling).
/// Reclaim takes first from projects furthest above their fair share.
/// </summary>
public static class FairShare
{
    /// <param name="demandMilli">Per project: GPUs held plus GPUs its waiting gangs ask for.</param>
    public static double[] Compute(IReadOnlyList<SchedulingProject> projects, IReadOnlyList<long> demandMilli, long capacityMilli)
    {
        var n = projects.Count;
        var share = new double[n];
        var cap = new double[n];
        double left = capacityMilli;
        for (var i = 0; i < n; i++)
        {
            cap[i] = Math.Min(demandMilli[i], projects[i].LimitMilli ?? long.MaxValue);
            share[i] = Math.Min(projects[i].QuotaMilli, cap[i]);
            left -= share[i];
        }

        for (var round = 0; round < n && left > 1e-6; round++)
        {
            double weights = 0;
            for (var i = 0; i < n; i++)
            {
                if (share[i] < cap[i]) weights += Math.Max(1, projects[i].OverQuotaWeight);
            }

            if (weights == 0) break;
            var given = 0.0;
            for (var i = 0; i < n; i++)
            {
                if (share[i] >= cap[i]) continue;
                var add = Math.Min(cap[i] - share[i], left * Math.Max(1, projects[i].OverQuotaWeight) / weights);
                share[i] += add;
                given += add;
            }

            left -= given;
        }

        return share;
    }
}
