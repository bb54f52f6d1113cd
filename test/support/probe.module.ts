import { Body, Controller, Get, Module, Param, Post } from '@nestjs/common';
import { InjectModel, MongooseModule, Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { IsInt, IsOptional, IsString, Length, Min } from 'class-validator';
import { Model } from 'mongoose';
import { ParseObjectIdPipe, Public } from '@app/common';

/**
 * A tiny test-only module that exercises the global pipeline (validation, id parsing, the
 * exception filter) independently of any business module.
 */
@Schema({ collection: 'probe_widgets' })
class ProbeWidget {
  @Prop({ required: true, unique: true })
  sku!: string;

  @Prop({ required: true, min: 0 })
  stock!: number;
}
const ProbeWidgetSchema = SchemaFactory.createForClass(ProbeWidget);

class CreateProbeWidgetDto {
  @IsString()
  @Length(1, 20)
  sku!: string;

  @IsOptional()
  @IsInt()
  @Min(0)
  stock?: number;
}

@Public()
@Controller('_probe/widgets')
class ProbeController {
  constructor(@InjectModel(ProbeWidget.name) private readonly widgets: Model<ProbeWidget>) {}

  @Post()
  async create(@Body() dto: CreateProbeWidgetDto) {
    const widget = await this.widgets.create({ sku: dto.sku, stock: dto.stock ?? 0 });
    return { id: widget.id, sku: widget.sku, stock: widget.stock };
  }

  @Get(':id')
  async findOne(@Param('id', ParseObjectIdPipe) id: string) {
    return this.widgets.findById(id).lean();
  }

  /** No id pipe here: proves the filter maps Mongoose's CastError to 400 as a backstop. */
  @Get('unchecked/:id')
  async findUnchecked(@Param('id') id: string) {
    return this.widgets.findById(id).lean();
  }
}

@Module({
  imports: [MongooseModule.forFeature([{ name: ProbeWidget.name, schema: ProbeWidgetSchema }])],
  controllers: [ProbeController],
})
export class ProbeModule {}
