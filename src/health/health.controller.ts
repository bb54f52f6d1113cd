import { Controller, Get, Logger, Res, ServiceUnavailableException } from '@nestjs/common';
import type { Response } from 'express';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckResult, HealthCheckService, HealthIndicatorResult, MongooseHealthIndicator } from '@nestjs/terminus';
import { SkipThrottle } from '@nestjs/throttler';
import { Public } from '@app/common';
import { RedisHealthIndicator } from './redis.health';

@ApiTags('health')
@Controller('health')
export class HealthController {
  private readonly logger = new Logger(HealthController.name);

  constructor(
    private readonly health: HealthCheckService,
    private readonly mongo: MongooseHealthIndicator,
    private readonly redis: RedisHealthIndicator,
  ) {}

  /** 200 when MongoDB and Redis both answer, 503 otherwise; says only up or down for each. */
  @Get()
  @Public()
  @SkipThrottle()
  @HealthCheck()
  async check(@Res({ passthrough: true }) res: Response) {
    try {
      return publicReport(
        await this.health.check([
          () => this.mongo.pingCheck('mongodb', { timeout: 1500 }),
          () => this.redis.pingCheck('redis', 1000),
        ]),
      );
    } catch (error) {
      // Monitors expect terminus's own report (which check is down), not the API error shape.
      if (!(error instanceof ServiceUnavailableException)) throw error;
      const report = error.getResponse() as HealthCheckResult;
      this.logger.warn(`Health check failed: ${JSON.stringify(report.error)}`);
      res.status(503);
      return publicReport(report);
    }
  }
}

/**
 * The route is public, and a failing check's message names internal addresses and ports
 * (`connect ECONNREFUSED 10.0.3.7:6379`): the answer keeps only each dependency's status, the
 * full report goes to the log.
 */
function publicReport(report: HealthCheckResult): HealthCheckResult {
  const statusOnly = (results: Partial<HealthIndicatorResult> | undefined): HealthIndicatorResult =>
    Object.fromEntries(
      Object.entries(results ?? {}).flatMap(([name, result]) => (result ? [[name, { status: result.status }]] : [])),
    );
  return { status: report.status, info: statusOnly(report.info), error: statusOnly(report.error), details: statusOnly(report.details) };
}
